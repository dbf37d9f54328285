"""The case and task rules against the real schema (migration 0003)."""

from __future__ import annotations

import secrets

import pytest
from helpers.accounts import insert_user
from helpers.planted import count, local

from casework.store import retention
from casework.store.db import transaction

DAY = 86_400
NOW = local(2026, 6, 15, 12, 0)


@pytest.fixture
def cases_conn(conn):
    return conn


def case(conn, code: str, active_at: int, closed_at: int | None = None) -> int:
    state = "closed" if closed_at is not None else "open"
    with transaction(conn):
        return conn.execute(
            "INSERT INTO cases (code, state, opened_at, changed_at, closed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (code, state, active_at, closed_at or active_at, closed_at),
        ).lastrowid


def task(conn, case_id: int, starts_at: int, note: str = "note") -> None:
    with transaction(conn):
        task_id = conn.execute(
            "INSERT INTO tasks (token, case_id, kind, starts_at, ends_at, place, people_needed,"
            " instructions, outcome, debrief_note, created_at)"
            " VALUES (?, ?, 'hearing', ?, ?, 'Court', 1, ?, 'done', ?, ?)",
            (secrets.token_urlsafe(8), case_id, starts_at, starts_at + 3600, note, note, NOW),
        ).lastrowid
        user_id = insert_user(conn, f"walker{task_id}", "volunteer", NOW)
        conn.execute(
            "INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (?, ?, ?)",
            (task_id, user_id, NOW),
        )


@pytest.mark.parametrize(
    ("kind", "build", "period"),
    [
        ("closed_cases", lambda c, t: task(c, case(c, "K7M-CLOS-ED1", t - DAY, t), t - DAY), 30),
        ("past_tasks", lambda c, t: task(c, case(c, "K7M-PAST-TA1", NOW + DAY), t), 30),
        ("task_notes", lambda c, t: task(c, case(c, "K7M-NOTE-SS1", NOW + DAY), t), 14),
        ("dormant_cases", lambda c, t: case(c, "K7M-DORM-AN1", t), 90),
    ],
)
def test_case_rules_at_their_boundary(cases_conn, app, kind, build, period):
    settings = app.config["CASEWORK"]
    planted = NOW - period * DAY
    build(cases_conn, planted)
    for delta, expected in ((-DAY, 0), (-1, 0), (0, 1), (1, 1)):
        assert retention.due(cases_conn, NOW + delta, settings)[kind] == expected, delta
    codes = retention.due_codes(cases_conn, NOW, settings)[kind]
    assert len(codes) == 1
    dry = retention.purge(cases_conn, NOW, settings, dry_run=True)
    report = retention.purge(cases_conn, NOW, settings)
    assert report.counts == dry.counts and report.counts[kind] == 1
    assert retention.purge(cases_conn, NOW, settings).total == 0


def test_a_closed_case_goes_with_its_tasks_and_assignments(cases_conn, app):
    closed = case(cases_conn, "K7M-GONE-001", NOW - 40 * DAY, NOW - 31 * DAY)
    task(cases_conn, closed, NOW + DAY)  # even a future task goes with its case
    task(cases_conn, closed, NOW - 60 * DAY)  # counted once, under closed_cases
    report = retention.purge(cases_conn, NOW, app.config["CASEWORK"])
    assert report.counts["closed_cases"] == 1
    assert report.counts["past_tasks"] == 0 and report.counts["task_notes"] == 0
    assert [count(cases_conn, t) for t in ("cases", "tasks", "assignments")] == [0, 0, 0]


def test_a_dormant_case_with_a_recent_or_future_task_stays_open(cases_conn, app):
    task(cases_conn, case(cases_conn, "K7M-BUSY-001", NOW - 200 * DAY), NOW - 10 * DAY)
    task(cases_conn, case(cases_conn, "K7M-NEXT-001", NOW - 200 * DAY), NOW + 10 * DAY)
    dormant = case(cases_conn, "K7M-IDLE-001", NOW - 95 * DAY)
    report = retention.purge(cases_conn, NOW, app.config["CASEWORK"])
    assert report.counts["dormant_cases"] == 1
    closed = cases_conn.execute("SELECT closed_at FROM cases WHERE id = ?", (dormant,))
    assert closed.fetchone()[0] == NOW
    audit = cases_conn.execute("SELECT target FROM audit_events WHERE action = 'case.auto_closed'")
    assert [row[0] for row in audit] == ["K7M-IDLE-001"]
    assert count(cases_conn, "cases WHERE state = 'open'") == 2


def test_erased_notes_leave_the_task(cases_conn, app):
    task(cases_conn, case(cases_conn, "K7M-KEEP-001", NOW), NOW - 15 * DAY, "PRIVATE NOTE")
    retention.purge(cases_conn, NOW, app.config["CASEWORK"])
    row = cases_conn.execute("SELECT instructions, debrief_note, outcome, follow_up FROM tasks")
    assert tuple(row.fetchone()) == (None, None, None, 0)


def task_holding(conn, case_id: int, starts_at: int, **notes) -> int:
    """A task whose only notes are ``notes`` (instructions, debrief_note, outcome, follow_up)."""
    columns = {"instructions": None, "debrief_note": None, "outcome": None, "follow_up": 0}
    columns.update(notes)
    with transaction(conn):
        return conn.execute(
            "INSERT INTO tasks (token, case_id, kind, starts_at, ends_at, place, people_needed,"
            " instructions, debrief_note, outcome, follow_up, created_at)"
            " VALUES (?, ?, 'hearing', ?, ?, 'Court', 1, ?, ?, ?, ?, ?)",
            (
                secrets.token_urlsafe(8),
                case_id,
                starts_at,
                starts_at + 3600,
                *columns.values(),
                NOW,
            ),
        ).lastrowid


@pytest.mark.parametrize(
    "notes",
    [
        {"instructions": "Bring the notice"},
        {"debrief_note": "It went well"},
        {"outcome": "postponed"},
        {"follow_up": 1},
    ],
    ids=["only-instructions", "only-debrief", "only-outcome", "only-follow-up"],
)
def test_a_past_task_with_one_kind_of_note_has_it_erased_after_the_period(app, conn, notes):
    settings = app.config["CASEWORK"]
    task_id = task_holding(conn, case(conn, "K7M-ONE1-NOT", NOW), NOW - 14 * DAY, **notes)
    assert retention.due(conn, NOW - 1, settings)["task_notes"] == 0
    assert retention.due(conn, NOW, settings)["task_notes"] == 1
    report = retention.purge(conn, NOW, settings)
    assert report.counts["task_notes"] == 1
    row = conn.execute(
        "SELECT instructions, debrief_note, outcome, follow_up FROM tasks WHERE id = ?", (task_id,)
    )
    assert tuple(row.fetchone()) == (None, None, None, 0)


def test_a_past_task_with_no_notes_is_not_counted_as_notes_to_erase(app, conn):
    settings = app.config["CASEWORK"]
    task_holding(conn, case(conn, "K7M-NONE-NOT", NOW), NOW - 20 * DAY, instructions="")
    assert retention.due(conn, NOW, settings)["task_notes"] == 0
    assert retention.purge(conn, NOW, settings).counts["task_notes"] == 0
    assert count(conn, "tasks") == 1


def test_a_case_stays_open_while_its_latest_task_is_recent_whatever_its_older_ones(app, conn):
    settings = app.config["CASEWORK"]
    case_id = case(conn, "K7M-TWO2-TSK", NOW - 200 * DAY)
    task(conn, case_id, NOW - 150 * DAY)
    task(conn, case_id, NOW - 10 * DAY)
    assert retention.due(conn, NOW, settings)["dormant_cases"] == 0
    assert retention.due(conn, NOW + 80 * DAY, settings)["dormant_cases"] == 1
