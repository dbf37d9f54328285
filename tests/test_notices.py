"""Change notices: what a coordinator changed on a task reaches each person going."""

from __future__ import annotations

import pytest
from helpers.forms import post

from casework.store import notices, retention
from casework.store.retention_rules import CHANGE_NOTICES

HOUR, DAY = 3600, 86400


@pytest.fixture
def going(team):
    """A case, its task on Tuesday 3 March 09:00-11:00, and ana and ben going."""
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, people_needed="3", day="2026-03-04")
    for handle in ("ana", "ben"):
        client = team.person(handle)
        post(client, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    return token


def edit(team, token, **fields):
    page = f"/tasks/{token}/edit"
    response = post(team.coord, page, team.task_fields(day="2026-03-04", **fields), page=page)
    assert response.status_code == 302, response.text
    return response


def notice_section(client) -> str:
    home = client.get("/").text
    if 'id="notices"' not in home:
        return ""
    return home.split('id="notices"', 1)[1].split("</section>", 1)[0]


def test_a_moved_time_shows_old_and_new_until_seen(team, going):
    ana = team.clients["ana"]
    assert notice_section(ana) == ""  # signing up oneself is no news
    edit(team, going, start="08:00")
    shown = notice_section(ana)
    assert "Time: Wed 4 Mar, 09:00–11:00 → Wed 4 Mar, 08:00–10:00" in shown
    assert "Place:" not in shown and "Instructions updated" not in shown
    assert team.coord.get(f"/tasks/{going}").text.count("has not seen the latest change yet") == 2
    assert post(ana, f"/notices/{going}/seen").status_code == 302
    assert notice_section(ana) == ""
    page = team.coord.get(f"/tasks/{going}").text
    assert "ana — has seen the latest change" in page
    assert "ben — <strong>has not seen the latest change yet" in page
    assert post(ana, f"/notices/{going}/seen").status_code == 302  # twice is no error


def test_two_changes_before_looking_are_one_notice_with_the_latest_values(team, going):
    edit(team, going, start="08:00")
    edit(team, going, start="13:00", place="CISR, Complexe Guy-Favreau")
    assert team.count("change_notices") == 2  # one each for ana and ben
    shown = notice_section(team.clients["ana"])
    assert shown.count('class="card notice"') == 1
    assert "Time: Wed 4 Mar, 09:00–11:00 → Wed 4 Mar, 13:00–15:00" in shown
    assert "Place: Palais de justice → CISR, Complexe Guy-Favreau" in shown


def test_a_change_after_seen_starts_from_what_was_seen(team, going):
    ana = team.clients["ana"]
    edit(team, going, start="08:00")
    post(ana, f"/notices/{going}/seen")
    edit(team, going, start="08:00", meeting_point="Security desk")
    shown = notice_section(ana)
    assert "Meeting point: Security desk" in shown and "Time:" not in shown


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"instructions": "Bring water."}, "Instructions updated"),
        ({"urgent": "y"}, "Now marked urgent."),
        ({"meeting_point": "Metro exit"}, "Meeting point: Metro exit"),
    ],
)
def test_each_change_is_named_and_no_text_is_copied(team, going, fields, said):
    edit(team, going, **fields)
    shown = notice_section(team.clients["ben"])
    assert said in shown
    assert "Bring water." not in shown  # the instructions are read on the task page


def test_an_edit_that_changes_nothing_that_matters_gives_no_notice(team, going):
    edit(team, going, people_needed="4", languages=["fr"])
    assert team.count("change_notices") == 0


def test_cancelling_tells_everyone_going(team, going):
    post(team.coord, f"/tasks/{going}/cancel", page=f"/tasks/{going}/cancel")
    for handle in ("ana", "ben"):
        assert "Cancelled: do not go." in notice_section(team.clients[handle])


def test_assigned_and_removed_by_a_coordinator(team, going):
    cyd = team.person("cyd")
    post(team.coord, f"/tasks/{going}/assign", {"volunteer": "cyd"})
    assert "A coordinator signed you up for this task." in notice_section(cyd)
    assert "Who goes has changed." in notice_section(team.clients["ana"])
    board = team.coord.get("/").text.split('id="unseen-changes"', 1)[1].split("</section>")[0]
    assert f"/tasks/{going}" in board and "3 people have not seen it" in board
    post(team.coord, f"/tasks/{going}/unassign", {"volunteer": "cyd"})
    shown = notice_section(cyd)
    assert "You are no longer going" in shown and "signed you up" not in shown
    assert f'href="/tasks/{going}"' not in shown
    assert "Bring the hearing notice." not in cyd.get(f"/tasks/{going}").text  # a summary now
    assert post(cyd, f"/notices/{going}/seen").status_code == 302


def test_a_change_while_withdrawing_leaves_no_notice_behind(team, going):
    edit(team, going, start="08:00")
    ana = team.clients["ana"]
    post(ana, f"/tasks/{going}/withdraw", {"confirmed": "1"}, page=f"/tasks/{going}")
    assert notice_section(ana) == ""
    assert team.count("change_notices") == 1  # ben's


def test_a_started_task_cannot_be_changed_and_tells_nobody(team, going):
    team.advance(2 * DAY)  # Wednesday 4 March, noon: it started
    page = f"/tasks/{going}/edit"
    response = post(team.coord, page, team.task_fields(day="2026-03-05"), page=f"/tasks/{going}")
    assert response.status_code == 302
    assert team.count("change_notices") == 0


def test_a_notice_for_another_person_or_no_task_is_not_found(team, going):
    edit(team, going, start="08:00")
    stranger = team.person("dee")
    assert post(stranger, f"/notices/{going}/seen").status_code == 404
    assert post(stranger, "/notices/no-such-token/seen").status_code == 404
    assert team.count("change_notices WHERE seen_at IS NULL") == 2


def test_a_notice_goes_with_its_task(team, going):
    edit(team, going, start="08:00")
    settings = team.app.config["CASEWORK"]
    # Past tasks are deleted past_task_days after their date; their notices with them.
    later = team.now + (settings["retention.past_task_days"] + 3) * DAY
    retention.purge(team.conn, later, settings)
    assert team.count("tasks") == 0 and team.count("change_notices") == 0
    team.now = later
    team.accounts.signin("ana", client=team.clients["ana"])
    assert team.clients["ana"].get("/").status_code == 200


def test_notices_have_their_own_retention_rule(team, going):
    edit(team, going, start="08:00")
    settings = dict(team.app.config["CASEWORK"])
    conn = team.conn
    assert retention.due(conn, team.now, settings)["change_notices"] == 0
    # Over once the task has ended (Wednesday 11:00), even before debrief_days.
    ends = conn.execute("SELECT ends_at FROM tasks").fetchone()[0]
    assert retention.due(conn, ends - 1, settings, (CHANGE_NOTICES,))["change_notices"] == 0
    assert retention.due(conn, ends, settings, (CHANGE_NOTICES,)) == {"change_notices": 2}
    # And never kept longer than a debrief, whatever the task.
    conn.execute("UPDATE tasks SET ends_at = ends_at + 400 * 86400")
    conn.execute("UPDATE tasks SET starts_at = starts_at + 400 * 86400")
    cutoff = team.now + settings["retention.debrief_days"] * DAY
    assert retention.due(conn, cutoff - 1, settings, (CHANGE_NOTICES,))["change_notices"] == 0
    assert retention.due(conn, cutoff, settings, (CHANGE_NOTICES,))["change_notices"] == 2
    report = retention.purge(conn, cutoff, settings, rules=(CHANGE_NOTICES,))
    assert report.counts == {"change_notices": 2} and team.count("change_notices") == 0


def test_the_board_lists_unseen_changes_soonest_first(team, going):
    code = team.open_case(team.coord)
    later = team.add_task(team.coord, code, day="2026-03-20", kind="school")
    post(team.clients["ana"], f"/tasks/{later}/signup", page=f"/tasks/{later}")
    post(team.coord, f"/tasks/{later}/edit", team.task_fields(day="2026-03-20", kind="school",
         start="10:00"), page=f"/tasks/{later}/edit")  # fmt: skip
    edit(team, going, start="08:00")
    board = team.coord.get("/").text
    section = board.split('id="unseen-changes"', 1)[1].split("</section>", 1)[0]
    assert section.index("Hearing") < section.index("School")
    assert "2 people have not seen it" in section and "1 person has not seen it" in section
    assert "in less than 48 hours" in section.split("School")[0]
    for handle in ("ana", "ben"):
        post(team.clients[handle], f"/notices/{going}/seen")
    post(team.clients["ana"], f"/notices/{later}/seen")
    assert "Everyone going has seen the latest changes." in team.coord.get("/").text


@pytest.mark.parametrize(
    ("earlier", "later", "merged"),
    [
        ((), ["time"], "time"),
        (["time"], ["place"], "time,place"),
        (["place", "time"], ["time"], "time,place"),
        (["assigned"], ["removed"], "removed"),
        (["removed", "time"], ["assigned"], "assigned,time"),
        (["cancelled"], ["people"], "cancelled,people"),
    ],
)
def test_merge_keeps_every_kind_once_and_the_latest_of_assigned_or_removed(earlier, later, merged):
    assert notices.merge(earlier, later) == merged
    assert set(merged.split(",")) <= set(notices.KINDS)


def test_changes_of_different_kinds_before_looking_all_stay_on_the_notice(team, going):
    moved = {"start": "08:00", "place": "CISR, Complexe Guy-Favreau"}
    edit(team, going, **moved)
    edit(team, going, **moved, meeting_point="Security desk")
    shown = notice_section(team.clients["ana"])
    assert "Time: Wed 4 Mar, 09:00–11:00 → Wed 4 Mar, 08:00–10:00" in shown
    assert "Place: Palais de justice → CISR, Complexe Guy-Favreau" in shown
    assert "Meeting point: Security desk" in shown


def test_a_task_without_instructions_edited_elsewhere_says_nothing_of_instructions(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, day="2026-03-04", instructions="")
    post(team.person("ana"), f"/tasks/{token}/signup", page=f"/tasks/{token}")
    edit(team, token, instructions="", place="CISR, Complexe Guy-Favreau")
    shown = notice_section(team.clients["ana"])
    assert "Place: Palais de justice → CISR, Complexe Guy-Favreau" in shown
    assert "Instructions updated" not in shown


def test_the_boards_unseen_changes_follow_a_task_moved_to_another_day(team, going):
    code = team.open_case(team.coord)
    other = team.add_task(team.coord, code, people_needed="3", day="2026-03-05")
    post(team.clients["ana"], f"/tasks/{other}/signup", page=f"/tasks/{other}")

    def move(token, day, start="09:00"):
        page = f"/tasks/{token}/edit"
        fields = team.task_fields(day=day, start=start)
        assert post(team.coord, page, fields, page=page).status_code == 302

    def unseen_order():
        board = team.coord.get("/").text
        section = board.split('id="unseen-changes"', 1)[1].split("</section>", 1)[0]
        return sorted((section.index(f"/tasks/{t}"), t) for t in (going, other) if t in section)

    move(going, "2026-03-04", "08:00")
    move(other, "2026-03-05", "08:00")
    assert [t for _, t in unseen_order()] == [going, other]
    move(going, "2026-03-06")  # now after the other one
    assert [t for _, t in unseen_order()] == [other, going]
    # Every notice keeps its task's start, whoever was told and whoever was not.
    stale = team.conn.execute(
        "SELECT count(*) FROM change_notices n JOIN tasks t ON t.id = n.task_id"
        " WHERE n.task_starts_at IS NOT t.starts_at"
    ).fetchone()[0]
    assert stale == 0 and team.count("change_notices") == 3


def test_a_new_change_reaches_everyone_going_whether_or_not_they_looked(team, going):
    edit(team, going, start="08:00")
    ana, ben = team.clients["ana"], team.clients["ben"]
    post(ben, f"/notices/{going}/seen")  # ben looked; ana did not
    edit(team, going, start="08:00", place="CISR, Complexe Guy-Favreau")
    for_ana, for_ben = notice_section(ana), notice_section(ben)
    assert "Time: Wed 4 Mar, 09:00–11:00 → Wed 4 Mar, 08:00–10:00" in for_ana
    assert "Place: Palais de justice → CISR, Complexe Guy-Favreau" in for_ana
    assert "Place: Palais de justice → CISR, Complexe Guy-Favreau" in for_ben
    assert "Time:" not in for_ben


def test_the_boards_unseen_changes_show_five_then_the_rest_behind_show_all(team):
    code = team.open_case(team.coord)
    ana = team.person("ana")
    for day in range(3, 10):
        token = team.add_task(team.coord, code, day=f"2026-03-{day:02d}")
        post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
        page = f"/tasks/{token}/edit"
        moved = team.task_fields(day=f"2026-03-{day:02d}", start="08:00")
        assert post(team.coord, page, moved, page=page).status_code == 302
    board = team.coord.get("/").text
    section = board.split('id="unseen-changes"', 1)[1].split("</section>", 1)[0]
    shown, rest = section.split("<details", 1)
    assert shown.count("<li>") == 5 and rest.count("<li>") == 2 and "Show all (7)" in rest
    assert shown.count("in less than 48 hours") == 2  # Tuesday and Wednesday 08:00
