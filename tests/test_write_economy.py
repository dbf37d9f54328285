"""Writes that change nothing write nothing: every page a commit touches is encrypted and
authenticated again, so a no-op UPDATE is not free (scripts/bench part A)."""

from __future__ import annotations

from casework.store import cases, staffing, tasks

HOUR = 3600


def _changed_at(team, code: str) -> int:
    return team.conn.execute("SELECT changed_at FROM cases WHERE code = ?", (code,)).fetchone()[0]


def _rows_written(conn, action) -> int:
    before = conn.total_changes
    action()
    return conn.total_changes - before


def test_a_case_touched_within_the_hour_is_not_rewritten(team):
    code = team.open_case(team.coord)
    opened = _changed_at(team, code)
    team.advance(10 * 60)
    team.add_task(team.coord, code)
    assert _changed_at(team, code) == opened  # dormancy counts days: still "today"
    team.advance(cases.TOUCH_RESOLUTION + 1)
    team.add_task(team.coord, code)
    assert _changed_at(team, code) == team.now


def test_a_sign_up_that_leaves_places_open_does_not_rewrite_the_task(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, people_needed="3")
    team.person("ana")
    conn = team.conn
    task, ana_id = tasks.by_token(conn, token), team.user_id("ana")
    # The assignment and its audit event; the task stays open, the case was just touched.
    took = _rows_written(conn, lambda: staffing.take_place(conn, task, ana_id, team.now, ana_id))
    assert took == 2
    left = _rows_written(conn, lambda: staffing.leave(conn, task, ana_id, team.now, ana_id))
    assert left == 2
    assert tasks.by_token(conn, token)["state"] == "open"


def test_the_last_place_still_turns_the_task_staffed_and_back(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, people_needed="1")
    team.person("ana")
    conn = team.conn
    task, ana_id = tasks.by_token(conn, token), team.user_id("ana")
    took = _rows_written(conn, lambda: staffing.take_place(conn, task, ana_id, team.now, ana_id))
    assert took == 3  # the assignment, the task's new state, the audit event
    assert tasks.by_token(conn, token)["state"] == "staffed"
    staffing.leave(conn, task, ana_id, team.now, ana_id)
    assert tasks.by_token(conn, token)["state"] == "open"
