"""Staffing: sign-up while places remain (race-safe), withdrawal, assignment, suggestions."""

from __future__ import annotations

import secrets
import threading
from types import SimpleNamespace

import pytest
from helpers.accounts import insert_user
from helpers.forms import post

from casework.rules import availability
from casework.store import db, staffing, tasks
from casework.store.db import transaction

HOUR, DAY = 3600, 86_400
NOW = 1_800_000_000


@pytest.fixture
def task_token(team):
    code = team.open_case(team.coord)
    return team.add_task(team.coord, code, people_needed="2")


def signup(team, client, token):
    return post(client, f"/tasks/{token}/signup", page=f"/tasks/{token}")


def test_sign_up_gives_full_details_and_fills_the_task(team, task_token):
    ana, ben, cyd = team.person("ana"), team.person("ben"), team.person("cyd")
    landing = signup(team, ana, task_token).headers["Location"]
    assert landing == f"/tasks/{task_token}?going=1"
    page = ana.get(landing).text
    assert "Bring the hearing notice." in page and "Withdraw" in page
    # The page says where and when to meet, in one sentence.
    assert "You are going. Be at the meeting point (Main entrance)" in page
    signup(team, ben, task_token)
    assert team.conn.execute("SELECT state FROM tasks").fetchone()[0] == "staffed"
    # The third is told clearly, and nothing changes.
    refused = signup(team, cyd, task_token)
    assert refused.headers["Location"] == "/"
    assert "this task is full" in cyd.get("/").text
    assert team.count("assignments") == 2
    assert team.count("audit_events WHERE action = 'task.assigned'") == 2


def test_signing_up_twice_is_refused(team, task_token):
    ana = team.person("ana")
    signup(team, ana, task_token)
    signup(team, ana, task_token)
    assert "You are already going." in ana.get(f"/tasks/{task_token}").text
    assert team.count("assignments") == 1


def test_no_sign_up_after_the_start(team, task_token):
    ana = team.person("ana")
    team.advance(30 * HOUR)  # the task was at 09:00 the next day
    assert signup(team, ana, task_token).status_code == 404
    assert team.count("assignments") == 0


def test_withdraw_before_the_start_reopens_the_task(team, task_token):
    ana, ben = team.person("ana"), team.person("ben")
    signup(team, ana, task_token)
    signup(team, ben, task_token)
    post(ana, f"/tasks/{task_token}/withdraw", {"confirmed": "1"}, page=f"/tasks/{task_token}")
    assert team.conn.execute("SELECT state FROM tasks").fetchone()[0] == "open"
    assert team.count("audit_events WHERE action = 'task.unassigned'") == 1
    # After the start, withdrawing is refused.
    team.advance(30 * HOUR)
    post(ben, f"/tasks/{task_token}/withdraw", {"confirmed": "1"}, page=f"/tasks/{task_token}")
    assert "already started" in ben.get(f"/tasks/{task_token}").text
    assert team.count("assignments") == 1


def test_coordinator_assigns_and_unassigns(team, task_token):
    team.person("ana")
    url = f"/tasks/{task_token}"
    post(team.coord, f"{url}/assign", {"volunteer": "ana"}, url)
    assert team.count("assignments") == 1
    post(team.coord, f"{url}/assign", {"volunteer": "nobody"}, url)
    assert "No active person has that pseudonym." in team.coord.get(url).text
    public_id = team.conn.execute("SELECT public_id FROM users WHERE handle = 'ana'").fetchone()[0]
    post(team.coord, f"{url}/unassign", {"volunteer": public_id}, url)
    assert team.count("assignments") == 0
    actions = [r[0] for r in team.conn.execute("SELECT action FROM audit_events")]
    assert actions.count("task.assigned") == 1 and actions.count("task.unassigned") == 1


def test_volunteers_cannot_assign_others(team, task_token):
    ana = team.person("ana")
    team.person("ben")
    response = post(ana, f"/tasks/{task_token}/assign", {"volunteer": "ben"})
    assert response.status_code == 404
    assert team.count("assignments") == 0


def test_suggestions_rank_language_free_time_and_recent_load(team):
    code = team.open_case(team.coord)
    busy_task = team.add_task(team.coord, code, languages=["fr"], people_needed="5")
    token = team.add_task(team.coord, code, languages=["es"])
    team.person("busy-es", languages="es")
    team.person("speaks-fr", languages="fr")
    team.person("speaks-es", languages="es,en")
    team.person("unknown-lang")
    post(team.coord, f"/tasks/{busy_task}/assign", {"volunteer": "busy-es"}, "/")
    task = tasks.by_token(team.conn, token)
    ranked = staffing.suggestions(team.conn, task, team.now, "America/Montreal")
    handles = [s.handle for s in ranked]
    assert handles[0] == "speaks-es"
    assert handles[-1] == "busy-es"  # booked at the same time: last
    assert ranked[-1].busy and ranked[0].speaks
    page = team.coord.get(f"/tasks/{token}").text
    assert page.index("speaks-es") < page.index("speaks-fr")


def test_known_availability_ranks_above_a_mismatch(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, languages=[])  # Tuesday 09:00
    team.person("tue-morning")
    team.person("weekends")
    conn = team.conn
    tuesday_morning = availability.serialise({availability.slot(1, 0)})
    weekends = availability.serialise({availability.slot(5, 0), availability.slot(6, 1)})
    conn.execute(
        "UPDATE users SET availability = ? WHERE handle = 'tue-morning'", (tuesday_morning,)
    )
    conn.execute("UPDATE users SET availability = ? WHERE handle = 'weekends'", (weekends,))
    ranked = staffing.suggestions(conn, tasks.by_token(conn, token), team.now, "America/Montreal")
    assert [(s.handle, s.available) for s in ranked] == [
        ("tue-morning", True),
        ("weekends", False),
    ]


def test_two_people_taking_the_last_place_at_once_one_wins(app, team, store_key):
    """Each thread has its own connection, as each server thread does."""
    code = team.open_case(team.coord)
    team.person("ana")
    team.person("ben")
    ana, ben = team.user_id("ana"), team.user_id("ben")
    path = app.extensions["casework_store"].path
    for round_number in range(10):
        token = team.add_task(team.coord, code, people_needed="1", start=f"1{round_number}:00")
        task = tasks.by_token(team.conn, token)
        barrier, outcomes = threading.Barrier(2), {}

        def take(user_id, task=task, barrier=barrier, outcomes=outcomes):
            conn = db.connect(path, bytes(store_key))
            try:
                barrier.wait()
                staffing.take_place(conn, task, user_id, team.now, user_id)
                outcomes[user_id] = "won"
            except staffing.StaffingProblem as problem:
                outcomes[user_id] = problem.reason
            finally:
                conn.close()

        threads = [threading.Thread(target=take, args=(uid,)) for uid in (ana, ben)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes.values()) == ["full", "won"], outcomes
        count = team.conn.execute(
            "SELECT count(*) FROM assignments WHERE task_id = ?", (task["id"],)
        ).fetchone()[0]
        assert count == 1


# --- the same rules straight on the store, with planted rows ---------------------------


def planted_case(conn, state: str = "open") -> int:
    with transaction(conn):
        return conn.execute(
            "INSERT INTO cases (code, state, opened_at, changed_at) VALUES (?, ?, ?, ?)",
            (f"K7M-{secrets.token_hex(2).upper()}-{secrets.token_hex(1).upper()}9", state,
             NOW - 10 * DAY, NOW - 10 * DAY),
        ).lastrowid  # fmt: skip


def planted_task(conn, case_id: int, starts_at: int, hours: int = 2, **columns):
    values = {"state": "open", "people_needed": 2, "languages": "", **columns}
    token = secrets.token_urlsafe(8)
    with transaction(conn):
        conn.execute(
            "INSERT INTO tasks (token, case_id, kind, starts_at, ends_at, place, people_needed,"
            " languages, state, created_at) VALUES (?, ?, 'hearing', ?, ?, 'Court', ?, ?, ?, ?)",
            (token, case_id, starts_at, starts_at + hours * HOUR, values["people_needed"],
             values["languages"], values["state"], NOW - 10 * DAY),
        )  # fmt: skip
    return tasks.by_token(conn, token)


def assign(conn, task, user_id: int) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (?, ?, ?)",
            (task["id"], user_id, NOW - DAY),
        )


def changed_at(conn, case_id: int) -> int:
    return conn.execute("SELECT changed_at FROM cases WHERE id = ?", (case_id,)).fetchone()[0]


def refusal(action, conn, task, user_id, now) -> str:
    with pytest.raises(staffing.StaffingProblem) as problem:
        action(conn, task, user_id, now, user_id)
    return problem.value.reason


def test_signing_up_and_withdrawing_keep_the_case_awake_and_are_audited(conn):
    case_id = planted_case(conn)
    task = planted_task(conn, case_id, NOW + DAY)
    ana, coord = insert_user(conn, "ana"), insert_user(conn, "coord", "coordinator")
    staffing.take_place(conn, task, ana, NOW, coord)
    assert changed_at(conn, case_id) == NOW
    staffing.leave(conn, task, ana, NOW + 2 * HOUR, ana)
    assert changed_at(conn, case_id) == NOW + 2 * HOUR
    events = conn.execute("SELECT at, actor_id, action, target FROM audit_events ORDER BY id")
    target = f"task:{task['id']} user:{ana}"
    assert [tuple(row) for row in events][-2:] == [
        (NOW, coord, "task.assigned", target),
        (NOW + 2 * HOUR, ana, "task.unassigned", target),
    ]


def test_no_sign_up_on_a_closed_case_or_a_cancelled_task(conn):
    ana = insert_user(conn, "ana")
    on_closed_case = planted_task(conn, planted_case(conn, "closed"), NOW + DAY)
    cancelled = planted_task(conn, planted_case(conn), NOW + DAY, state="cancelled")
    assert refusal(staffing.take_place, conn, on_closed_case, ana, NOW) == "closed"
    assert refusal(staffing.take_place, conn, cancelled, ana, NOW) == "closed"


def test_at_exactly_the_start_time_signing_up_and_withdrawing_are_refused(conn):
    ana, ben = insert_user(conn, "ana"), insert_user(conn, "ben")
    task = planted_task(conn, planted_case(conn), NOW + DAY)
    staffing.take_place(conn, task, ana, NOW + DAY - 1, ana)  # a second before: still open
    assert refusal(staffing.take_place, conn, task, ben, NOW + DAY) == "started"
    assert refusal(staffing.leave, conn, task, ana, NOW + DAY) == "started"
    staffing.leave(conn, task, ana, NOW + DAY - 1, ana)
    assert not tasks.is_assigned(conn, task["id"], ana)


def test_withdrawing_from_a_task_one_is_not_on_is_refused(conn):
    ana = insert_user(conn, "ana")
    task = planted_task(conn, planted_case(conn), NOW + DAY)
    assert refusal(staffing.leave, conn, task, ana, NOW) == "absent"


def suggested(conn, task, now=NOW, zone="America/Montreal"):
    return {s.handle: s for s in staffing.suggestions(conn, task, now, zone)}


def test_suggestions_are_busy_only_for_tasks_that_overlap(conn):
    case_id = planted_case(conn)
    task = planted_task(conn, case_id, NOW + DAY)  # two hours from NOW + DAY
    others = {
        "ends-as-it-starts": planted_task(conn, case_id, NOW + DAY - 2 * HOUR),
        "starts-as-it-ends": planted_task(conn, case_id, NOW + DAY + 2 * HOUR),
        "overlaps-the-start": planted_task(conn, case_id, NOW + DAY - HOUR),
        "overlaps-the-end": planted_task(conn, case_id, NOW + DAY + HOUR),
        "cancelled-overlap": planted_task(conn, case_id, NOW + DAY, state="cancelled"),
        "staffed-overlap": planted_task(conn, case_id, NOW + DAY, state="staffed"),
    }
    for handle, other in others.items():
        assign(conn, other, insert_user(conn, handle))
    busy = {handle: s.busy for handle, s in suggested(conn, task).items()}
    assert busy == {
        "ends-as-it-starts": False,
        "starts-as-it-ends": False,
        "overlaps-the-start": True,
        "overlaps-the-end": True,
        "cancelled-overlap": False,
        "staffed-overlap": True,
    }


def test_suggestions_count_the_tasks_of_the_last_30_days(conn):
    case_id = planted_case(conn)
    task = planted_task(conn, case_id, NOW + DAY)
    ana, ben = insert_user(conn, "ana"), insert_user(conn, "ben")
    for starts_at in (NOW - 30 * DAY, NOW - 2 * DAY, NOW):
        assign(conn, planted_task(conn, case_id, starts_at), ana)
    for starts_at in (NOW - 30 * DAY - 1, NOW + 1):
        assign(conn, planted_task(conn, case_id, starts_at), ben)
    recent = {handle: s.recent for handle, s in suggested(conn, task).items()}
    assert recent == {"ana": 3, "ben": 0}
    assert list(suggested(conn, task)) == ["ben", "ana"]  # the least busy first


@pytest.mark.parametrize(
    ("needed", "spoken", "speaks"),
    [
        ("", "", True),  # no language needed: everyone will do
        ("", "fr", True),
        ("es", "es", True),
        ("es,fr", "en,fr", True),
        ("es", "en,fr", False),
        ("es", "", False),
    ],
)
def test_suggestions_say_who_speaks_a_needed_language(conn, needed, spoken, speaks):
    task = planted_task(conn, planted_case(conn), NOW + DAY, languages=needed)
    insert_user(conn, "ana", languages=spoken)
    assert suggested(conn, task)["ana"].speaks is speaks


def test_suggestions_leave_out_coordinators_the_inactive_and_those_going(conn):
    task = planted_task(conn, planted_case(conn), NOW + DAY)
    insert_user(conn, "coord", "coordinator")
    insert_user(conn, "gone", active=0)
    assign(conn, task, insert_user(conn, "going"))
    insert_user(conn, "free")
    assert list(suggested(conn, task)) == ["free"]
    # the button that assigns a suggestion names the person by their public id
    assert suggested(conn, task)["free"].public_id == "pub-free"


def test_suggestions_list_at_most_eight_people(conn):
    task = planted_task(conn, planted_case(conn), NOW + DAY)
    for number in range(10):
        insert_user(conn, f"person{number}")
    assert list(suggested(conn, task)) == [f"person{number}" for number in range(8)]


def test_taking_a_place_says_why_not_when_full_already_going_or_gone(conn):
    ana, ben = insert_user(conn, "ana"), insert_user(conn, "ben")
    task = planted_task(conn, planted_case(conn), NOW + DAY, people_needed=1)
    staffing.take_place(conn, task, ana, NOW, ana)
    assert refusal(staffing.take_place, conn, task, ana, NOW) == "already"
    assert refusal(staffing.take_place, conn, task, ben, NOW) == "full"
    with transaction(conn):
        conn.execute("DELETE FROM assignments")
        conn.execute("DELETE FROM tasks WHERE id = ?", (task["id"],))
    assert refusal(staffing.take_place, conn, task, ben, NOW) == "closed"  # deleted meanwhile


def test_at_exactly_the_start_time_the_page_offers_neither_sign_up_nor_withdrawal(conn):
    task = planted_task(conn, planted_case(conn), NOW + DAY)
    assert staffing.sign_up_refusal(task, False, NOW + DAY - 1) is None
    assert staffing.withdrawal_refusal(task, True, NOW + DAY - 1) is None
    assert staffing.sign_up_refusal(task, False, NOW + DAY) == "started"
    assert staffing.withdrawal_refusal(task, True, NOW + DAY) == "started"


def test_a_finished_task_is_closed_to_sign_ups(conn):
    ana = insert_user(conn, "ana")
    done = planted_task(conn, planted_case(conn), NOW - DAY, state="done")
    assert refusal(staffing.take_place, conn, done, ana, NOW) == "closed"


def test_a_debrief_can_be_written_from_exactly_the_start_time(conn):
    row = planted_task(conn, planted_case(conn), NOW + DAY)
    going = tasks.TaskView(row, full=True, mine=True)
    volunteer = SimpleNamespace(role="volunteer")
    assert staffing.debrief_refusal(going, volunteer, NOW + DAY - 1) == "not_yet"
    assert staffing.debrief_refusal(going, volunteer, NOW + DAY) is None


def notices_on(conn, task) -> dict[int, tuple]:
    """Who has a notice on the task: user id -> (its kinds, when it changed)."""
    rows = conn.execute(
        "SELECT user_id, changes, changed_at FROM change_notices WHERE task_id = ?", (task["id"],)
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def test_a_coordinator_adding_someone_tells_them_and_the_others_going_not_themselves(conn):
    task = planted_task(conn, planted_case(conn), NOW + 3 * DAY, people_needed=4)
    ana, ben = insert_user(conn, "ana"), insert_user(conn, "ben")
    coord = insert_user(conn, "coord", "coordinator")
    assign(conn, task, ben)
    assign(conn, task, coord)  # a coordinator who goes too
    staffing.take_place(conn, task, ana, NOW, coord)
    assert notices_on(conn, task) == {ana: ("assigned", NOW), ben: ("people", NOW)}
    staffing.leave(conn, task, ana, NOW + HOUR, coord)
    # ana's unseen notice now says she was taken off; ben's still says who goes changed.
    assert notices_on(conn, task) == {ana: ("removed", NOW + HOUR), ben: ("people", NOW + HOUR)}


def test_who_signs_up_or_withdraws_themselves_gets_no_notice_and_loses_their_own(conn):
    task = planted_task(conn, planted_case(conn), NOW + 3 * DAY, people_needed=4)
    ana, ben = insert_user(conn, "ana"), insert_user(conn, "ben")
    coord = insert_user(conn, "coord", "coordinator")
    staffing.take_place(conn, task, ana, NOW, coord)
    staffing.take_place(conn, task, ben, NOW, coord)
    staffing.leave(conn, task, ana, NOW + HOUR, ana)  # she knows: her notice goes
    assert notices_on(conn, task) == {ben: ("assigned", NOW)}
    staffing.take_place(conn, task, ana, NOW + 2 * HOUR, ana)
    assert notices_on(conn, task) == {ben: ("assigned", NOW)}


def late_withdrawal_at(conn, task):
    return conn.execute(
        "SELECT late_withdrawal_at FROM tasks WHERE id = ?", (task["id"],)
    ).fetchone()[0]


def test_only_a_volunteer_withdrawing_within_48_hours_is_a_late_withdrawal(conn):
    ana, coord = insert_user(conn, "ana"), insert_user(conn, "coord", "coordinator")
    soon = planted_task(conn, planted_case(conn), NOW + 47 * HOUR)
    later = planted_task(conn, planted_case(conn), NOW + 49 * HOUR)
    removed = planted_task(conn, planted_case(conn), NOW + 47 * HOUR)
    for task in (soon, later, removed):
        assign(conn, task, ana)
    staffing.leave(conn, soon, ana, NOW, ana)
    staffing.leave(conn, later, ana, NOW, ana)
    staffing.leave(conn, removed, ana, NOW, coord)  # a coordinator's choice, not a let-down
    assert late_withdrawal_at(conn, soon) == NOW
    assert late_withdrawal_at(conn, later) is None
    assert late_withdrawal_at(conn, removed) is None
