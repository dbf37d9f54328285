"""Tasks: created in local time and stored in UTC, refused when wrong, seen by need-to-know."""

from __future__ import annotations

import pytest
from helpers.forms import post
from helpers.instance import TEAM_NOW

from casework.store import tasks

HOUR = 3600


@pytest.fixture
def case_code(team):
    return team.open_case(team.coord, languages=["es"])


def test_task_is_stored_in_utc_and_shown_in_local_time(team, case_code):
    token = team.add_task(team.coord, case_code, day="2026-03-03", start="09:00", duration="90")
    row = team.conn.execute("SELECT starts_at, ends_at, state, languages FROM tasks").fetchone()
    # 09:00 in Montreal in early March is 14:00 UTC (EST, UTC-5).
    assert row["starts_at"] == 1772546400
    assert row["ends_at"] - row["starts_at"] == 90 * 60
    assert (row["state"], row["languages"]) == ("open", "es")
    page = team.coord.get(f"/tasks/{token}")
    assert "09:00" in page.text and "10:30" in page.text
    assert "Bring the hearing notice." in page.text
    target = team.conn.execute("SELECT target FROM audit_events WHERE action = 'task.created'")
    assert target.fetchone()[0].startswith(case_code)


def test_time_after_the_clocks_go_forward_uses_the_new_offset(team, case_code):
    team.add_task(team.coord, case_code, day="2026-03-09", start="09:00")
    starts_at = team.conn.execute("SELECT starts_at FROM tasks").fetchone()[0]
    assert starts_at == 1773061200  # 13:00 UTC: EDT, UTC-4


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day": "2026-03-08", "start": "02:30"}, "the clocks change"),
        ({"day": "2026-02-30"}, "Give a date that exists"),
        ({"day": "2026-13-01"}, "Give a date that exists"),
        ({"day": "tomorrow"}, "Give a date that exists"),
        ({"start": "25:00"}, "Give a time like 09:30"),
        ({"day": "2026-03-01"}, "already passed"),
        ({"day": "2099-03-03"}, "too far ahead"),
        ({"day": ""}, "Give the date."),
        ({"place": ""}, "Give the place."),
        ({"people_needed": "6"}, "Not a valid choice"),
        ({"people_needed": "0"}, "Not a valid choice"),
        ({"duration": "-60"}, "Not a valid choice"),
        ({"kind": "spying"}, "Not a valid choice"),
        ({"languages": ["klingon"]}, "Choose from the list."),
        ({"instructions": "Her UCI is 1234-5678"}, "a client or file number"),
        ({"instructions": "Passport AB123456"}, "a passport number"),
        ({"meeting_point": "call 514 555 0199"}, "a phone number"),
        ({"place": "H2X 1Y4"}, "a postal code"),
        ({"instructions": "x" * 1001}, "1000"),
        ({"instructions": "tab\tok but nul\x00"}, "control characters"),
    ],
)
def test_bad_task_input_is_refused_and_nothing_saved(team, case_code, fields, message):
    page = f"/cases/{case_code}/tasks/new"
    response = post(team.coord, page, team.task_fields(**fields), page)
    assert response.status_code == 200
    assert message in response.text
    assert team.count("tasks") == 0


def test_ambiguous_time_when_clocks_go_back_is_the_first_one(team, case_code):
    team.advance(1792000000 - TEAM_NOW)  # to 2026-10-15
    team.add_task(team.coord, case_code, day="2026-11-01", start="01:30")
    starts_at = team.conn.execute("SELECT starts_at FROM tasks").fetchone()[0]
    assert starts_at == 1793511000  # 05:30 UTC: still EDT, the first 01:30


def test_place_may_be_a_public_street_address(team, case_code):
    team.add_task(team.coord, case_code, place="Palais de justice, 1 rue Notre-Dame Est")
    assert team.count("tasks") == 1


def test_another_volunteer_sees_a_summary_only(team, case_code):
    token = team.add_task(team.coord, case_code, place="Palais de justice, 1 rue Notre-Dame Est")
    volunteer = team.person("vol", languages="es")
    page = volunteer.get(f"/tasks/{token}")
    assert page.status_code == 200
    assert "Palais de justice" in page.text  # the area
    assert "Notre-Dame" not in page.text and "Bring the hearing notice" not in page.text
    assert "Main entrance" not in page.text and case_code not in page.text
    assert "2 places left" in page.text and "Spanish" in page.text


def test_volunteer_gets_404_for_tasks_that_are_not_open_to_them(team, case_code):
    token = team.add_task(team.coord, case_code, people_needed="1")
    first, second = team.person("first"), team.person("second")
    post(first, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    assert "Bring the hearing notice" in first.get(f"/tasks/{token}").text
    # Staffed: someone else's task is no longer visible at all to other volunteers.
    assert second.get(f"/tasks/{token}").status_code == 404
    assert post(second, f"/tasks/{token}/withdraw").status_code == 404
    assert second.get("/tasks/not-a-real-token").status_code == 404
    assert second.get(f"/tasks/{token}/debrief").status_code == 404


def test_cancel_is_audited_and_closes_sign_up(team, case_code):
    token = team.add_task(team.coord, case_code)
    volunteer = team.person("vol")
    post(team.coord, f"/tasks/{token}/cancel", page=f"/tasks/{token}")
    assert team.conn.execute("SELECT state FROM tasks").fetchone()[0] == "cancelled"
    assert volunteer.get(f"/tasks/{token}").status_code == 404
    assert post(volunteer, f"/tasks/{token}/signup").status_code == 404
    assert team.count("assignments") == 0
    actions = {r[0] for r in team.conn.execute("SELECT action FROM audit_events")}
    assert "task.cancelled" in actions


def test_week_view_coordinator_sees_all_volunteer_only_theirs(team, case_code):
    mine = team.add_task(team.coord, case_code, day="2026-03-04", kind="medical")
    team.add_task(team.coord, case_code, day="2026-03-05", kind="school")
    volunteer = team.person("vol")
    post(volunteer, f"/tasks/{mine}/signup", page=f"/tasks/{mine}")
    coordinator_week = team.coord.get("/week").text
    assert "Medical appointment" in coordinator_week and "School" in coordinator_week
    volunteer_week = volunteer.get("/week").text
    assert "Medical appointment" in volunteer_week and "School" not in volunteer_week
    assert "Nothing these seven days." in volunteer.get("/week?day=2026-03-10").text


def test_tasks_on_a_case_page_are_in_time_order(team, case_code):
    team.add_task(team.coord, case_code, day="2026-03-06", kind="school")
    team.add_task(team.coord, case_code, day="2026-03-04", kind="medical")
    page = team.coord.get(f"/cases/{case_code}").text
    assert page.index("Medical appointment") < page.index("School")


def test_debrief_is_refused_before_the_start(team, case_code):
    token = team.add_task(team.coord, case_code)
    team.advance(HOUR)
    response = team.coord.get(f"/tasks/{token}/debrief")
    assert response.status_code == 302
    assert team.count("tasks WHERE outcome IS NOT NULL") == 0


def test_a_coordinator_changes_an_upcoming_task(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code)
    form = team.coord.get(f"/tasks/{token}/edit").text
    assert 'value="2026-03-03"' in form and 'value="09:00"' in form  # pre-filled, local time
    changed = team.task_fields(start="10:30", place="Clinique du quartier", people_needed="3")
    response = post(team.coord, f"/tasks/{token}/edit", changed, f"/tasks/{token}/edit")
    assert response.status_code == 302
    row = team.conn.execute(
        "SELECT place, people_needed, starts_at, ends_at FROM tasks WHERE token = ?", (token,)
    ).fetchone()
    assert tuple(row[:2]) == ("Clinique du quartier", 3)
    assert row["ends_at"] - row["starts_at"] == 120 * 60
    actions = [r[0] for r in team.conn.execute("SELECT action FROM audit_events")]
    assert "task.updated" in actions


def test_a_change_cannot_need_fewer_people_than_are_going(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code)
    for handle in ("ana", "ben"):
        client = team.person(handle)
        post(client, f"/tasks/{token}/signup", {}, f"/tasks/{token}")
    fewer = team.task_fields(people_needed="1")
    response = post(team.coord, f"/tasks/{token}/edit", fewer, f"/tasks/{token}/edit")
    assert response.status_code == 200
    assert "2 people are already going" in response.text
    row = team.conn.execute("SELECT people_needed, state FROM tasks WHERE token = ?", (token,))
    assert tuple(row.fetchone()) == (2, "staffed")
    more = team.task_fields(people_needed="3")
    post(team.coord, f"/tasks/{token}/edit", more, f"/tasks/{token}/edit")
    row = team.conn.execute("SELECT people_needed, state FROM tasks WHERE token = ?", (token,))
    assert tuple(row.fetchone()) == (3, "open")  # a place opened again


def test_guarded_fields_and_past_dates_are_refused_on_edit_too(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code)
    for bad in ({"instructions": "Call 514-555-0199"}, {"day": "2020-01-01"}):
        fields = team.task_fields(**bad)
        response = post(team.coord, f"/tasks/{token}/edit", fields, f"/tasks/{token}/edit")
        assert response.status_code == 200
    stored = team.conn.execute("SELECT instructions FROM tasks WHERE token = ?", (token,))
    assert stored.fetchone()[0] == "Bring the hearing notice."


def test_a_started_task_cannot_be_changed(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code)
    for _ in range(3):  # to 2026-03-03 10:00, after the start; the session stays alive
        team.now += 8 * 3600
        assert team.coord.get("/").status_code == 200
    response = team.coord.get(f"/tasks/{token}/edit")
    assert response.status_code == 302
    assert "cannot be changed" in team.coord.get(f"/tasks/{token}").text


def test_cancelling_asks_first_and_a_get_changes_nothing(team, case_code):
    token = team.add_task(team.coord, case_code)
    post(team.person("ana"), f"/tasks/{token}/signup", {}, f"/tasks/{token}")
    page = team.coord.get(f"/tasks/{token}/cancel")
    assert page.status_code == 200
    assert "1 person is going" in page.text
    assert team.conn.execute("SELECT state FROM tasks").fetchone()[0] == "open"


@pytest.mark.parametrize(
    ("minutes", "kept"),
    [(0, False), (-30, False), (1, True), (24 * 60, True), (24 * 60 + 1, False)],
)
def test_a_task_ends_after_it_starts_and_within_a_day(minutes, kept):
    # Home pages find a person's tasks under way among those started within a day.
    def details():
        return tasks.TaskDetails(
            "hearing", TEAM_NOW, TEAM_NOW + minutes * 60, "court", "", 1, [], "", False
        )

    if kept:
        assert details().ends_at - details().starts_at == minutes * 60
    else:
        with pytest.raises(ValueError, match="within a day"):
            details()
