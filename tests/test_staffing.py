"""Staffing: sign-up while places remain (race-safe), withdrawal, assignment, suggestions."""

from __future__ import annotations

import threading

import pytest
from helpers.forms import post

from casework.rules import availability
from casework.store import db, staffing, tasks

HOUR = 3600


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
