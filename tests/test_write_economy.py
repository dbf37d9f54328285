"""Writes that change nothing write nothing: every page a commit touches is encrypted and
authenticated again, so a no-op UPDATE is not free (scripts/bench part A)."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize(
    ("places", "rows", "state"),
    [
        # The assignment and its audit event: the task stays open, the case was touched.
        ("3", 2, "open"),
        # The last place: the task's state changes too, and back on withdrawal.
        ("1", 3, "staffed"),
    ],
)
def test_a_sign_up_rewrites_the_task_only_when_its_state_changes(team, places, rows, state):
    code = team.open_case(team.coord)
    # A week ahead: a withdrawal within 48 hours also marks the task for the board.
    token = team.add_task(team.coord, code, people_needed=places, day="2026-03-09")
    team.person("ana")
    conn = team.conn
    task, ana_id = tasks.by_token(conn, token), team.user_id("ana")
    took = _rows_written(conn, lambda: staffing.take_place(conn, task, ana_id, team.now, ana_id))
    assert took == rows
    assert tasks.by_token(conn, token)["state"] == state
    left = _rows_written(conn, lambda: staffing.leave(conn, task, ana_id, team.now, ana_id))
    assert left == rows
    assert tasks.by_token(conn, token)["state"] == "open"
