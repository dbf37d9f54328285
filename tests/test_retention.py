"""Retention rules at their boundaries, with an injected clock, across DST changes.

A "day" is 86,400 seconds (see casework/retention_rules.py): a period spanning a DST
change ends an hour later or earlier in wall-clock time, never shorter in elapsed time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from helpers import planted as plant
from helpers.planted import count, local

from casework.store import db, purge_reports, retention
from casework.store.retention_rules import RULES, Rule

DAY, HOUR, MINUTE = 86_400, 3600, 60
NOON = local(2026, 6, 15, 12, 0)
SPRING = local(2026, 3, 8, 3, 0)  # 02:00 EST became 03:00 EDT
FALL = local(2026, 11, 1, 1, 0, 0)  # 02:00 EDT became 01:00 EST (first 01:00)


@dataclass(frozen=True)
class Case:
    kind: str
    plant: Callable[[object, int], None]
    period: int  # seconds with the default settings
    table: str
    inclusive: bool = True  # due at exactly its period (sessions: only once strictly older)


CASES = [
    Case("audit_events", lambda c, t: plant.audit(c, t), 90 * DAY, "audit_events"),
    Case("invites", lambda c, t: plant.invite(c, t - DAY, t), 0, "invites"),
    Case("invites", lambda c, t: plant.invite(c, t - DAY, t + 300 * DAY, t), 0, "invites"),
    Case("sessions", lambda c, t: plant.session(c, t, t), 30 * MINUTE, "sessions", inclusive=False),
    Case(
        "sessions",
        lambda c, t: plant.session(c, t, t + 12 * HOUR - MINUTE),
        12 * HOUR,
        "sessions",
        inclusive=False,
    ),
    Case(
        "inactive_volunteers",
        lambda c, t: plant.user(c, t - DAY, seen=t),
        180 * DAY,
        "users WHERE active = 1",
    ),
    Case(
        "inactive_volunteers",
        lambda c, t: plant.user(c, t),
        180 * DAY,
        "users WHERE active = 1",
    ),
    Case(
        "deactivated_accounts",
        lambda c, t: plant.user(c, t - DAY, active=0, deactivated=t),
        30 * DAY,
        "users",
    ),
    Case("failed_logins", lambda c, t: plant.failed_signin(c, t), DAY, "failed_signins"),
    Case(
        "purge_reports",
        lambda c, t: plant.purge_report(c, t, tag="planted"),
        365 * DAY,
        "purge_reports WHERE counts LIKE '%planted%'",
    ),
]
CASE_IDS = [
    "audit",
    "invite-expired",
    "invite-used",
    "session-idle",
    "session-absolute",
    "volunteer-last-seen",
    "volunteer-never-seen",
    "deactivated-account",
    "failed-sign-in",
    "purge-report",
]
DELTAS = (-DAY, -1, 0, 1, DAY)


@pytest.fixture(autouse=True)
def _clean_slate(conn):
    """Forget what the unlock itself did (its purge report, its audit event)."""
    conn.execute("DELETE FROM purge_reports")
    conn.execute("DELETE FROM audit_events")


@pytest.fixture
def settings(app):
    return app.config["CASEWORK"]


def expected_due(case: Case, delta: int) -> int:
    return int(delta > 0 or (delta == 0 and case.inclusive))


@pytest.mark.parametrize("around", [NOON, SPRING, FALL], ids=["june", "spring-dst", "fall-dst"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_each_rule_at_its_boundary(conn, settings, case, around):
    # The period straddles `around`, so the DST cases cross the change.
    planted_at = around - case.period // 2
    case.plant(conn, planted_at)
    before = count(conn, case.table)
    for delta in DELTAS:
        now = planted_at + case.period + delta
        assert retention.due(conn, now, settings)[case.kind] == expected_due(case, delta), delta
    deleted = 0
    for delta in DELTAS:
        report = retention.purge(conn, planted_at + case.period + delta, settings)
        assert report.outcome == "done"
        deleted += report.counts[case.kind]
        assert deleted == expected_due(case, delta), delta
        assert count(conn, case.table) == before - deleted
    assert retention.due(conn, planted_at + case.period + DAY, settings)[case.kind] == 0


@pytest.mark.parametrize(
    ("deactivated", "due_local", "calendar_day_local"),
    [
        # 30 days of 86,400 s across spring-forward end at 11:00 EDT, not 10:00.
        ((2026, 3, 1, 10, 0), (2026, 3, 31, 11, 0), (2026, 3, 31, 10, 0)),
        # ... and across fall-back at 09:00 EST, an hour before the calendar time.
        ((2026, 10, 20, 10, 0), (2026, 11, 19, 9, 0), (2026, 11, 19, 10, 0)),
    ],
)
def test_a_day_is_86400_seconds_across_dst(
    conn, settings, deactivated, due_local, calendar_day_local
):
    plant.user(conn, local(*deactivated) - DAY, active=0, deactivated=local(*deactivated))
    due_at = local(*due_local)
    assert due_at - local(*deactivated) == 30 * DAY
    assert retention.due(conn, due_at - 1, settings)["deactivated_accounts"] == 0
    assert retention.due(conn, due_at, settings)["deactivated_accounts"] == 1
    spring = due_local[1] == 3
    at_calendar_time = retention.due(conn, local(*calendar_day_local), settings)
    assert at_calendar_time["deactivated_accounts"] == (0 if spring else 1)


def test_coordinators_are_never_deactivated_for_inactivity(conn, settings):
    plant.user(conn, NOON - 400 * DAY, role="coordinator", seen=NOON - 400 * DAY)
    assert retention.purge(conn, NOON, settings).counts["inactive_volunteers"] == 0
    assert count(conn, "users WHERE active = 1") == 1


def test_deactivating_a_volunteer_ends_their_sessions(conn, settings):
    volunteer = plant.user(conn, NOON - 200 * DAY, seen=NOON - 181 * DAY)
    plant.session(conn, NOON - 60, NOON - 60, user_id=volunteer)
    report = retention.purge(conn, NOON, settings)
    assert report.counts["inactive_volunteers"] == 1
    assert count(conn, "sessions") == 0
    row = conn.execute("SELECT active, deactivated_at FROM users WHERE id = ?", (volunteer,))
    assert tuple(row.fetchone()) == (0, NOON)
    # ... and the account itself goes deactivated_account_days later
    assert retention.due(conn, NOON + 30 * DAY - 1, settings)["deactivated_accounts"] == 0
    assert retention.purge(conn, NOON + 30 * DAY, settings).counts["deactivated_accounts"] == 1
    assert count(conn, "users") == 0


def plant_one_of_each(conn, at: int) -> None:
    plant.audit(conn, at)
    plant.invite(conn, at - DAY, at)
    plant.session(conn, at, at)
    plant.user(conn, at, seen=at)
    plant.user(conn, at - DAY, active=0, deactivated=at)
    plant.purge_report(conn, at)


def test_rows_stamped_in_the_future_are_never_due(conn, settings):
    # The clock was set backwards after these were written (or they are simply ahead).
    plant_one_of_each(conn, NOON + 10 * DAY)
    plant.invite(conn, NOON, NOON + 300 * DAY, NOON + HOUR)  # used "later"
    assert sum(retention.due(conn, NOON, settings).values()) == 0
    assert retention.purge(conn, NOON, settings).total == 0


def test_a_clock_set_backwards_deletes_nothing_extra(conn, settings):
    for age_days in (0, 10, 40, 100, 200, 400):
        plant_one_of_each(conn, NOON - age_days * DAY)
    due_now = retention.due(conn, NOON, settings)
    earlier = retention.purge(conn, NOON - 45 * DAY, settings)
    assert all(earlier.counts[k] <= due_now[k] for k in due_now)
    assert earlier.total < sum(due_now.values())
    assert earlier.counts["deactivated_accounts"] == due_now["deactivated_accounts"] - 1
    retention.purge(conn, NOON, settings)  # the clock is right again: the rest goes
    assert sum(retention.due(conn, NOON, settings).values()) == 0


def test_a_second_run_deletes_nothing(conn, settings):
    plant.fill(conn, NOON, 500)
    first = retention.purge(conn, NOON, settings)
    assert first.total > 0 and first.outcome == "done"
    second = retention.purge(conn, NOON, settings)
    assert second.total == 0
    assert retention.due(conn, NOON, settings) == second.counts


def test_the_dry_run_counts_exactly_and_changes_nothing(app, conn, settings):
    plant.fill(conn, NOON, 500)
    plant_one_of_each(conn, NOON - 400 * DAY)
    db.checkpoint(conn)
    store_file = app.extensions["casework_store"].path
    digest = hashlib.sha256(store_file.read_bytes()).hexdigest()
    tables = ("audit_events", "sessions", "users", "invites", "purge_reports")
    rows = [count(conn, t) for t in tables]
    dry = retention.purge(conn, NOON, settings, dry_run=True)
    assert dry.dry_run and dry.total > 0 and dry.steps == {}
    assert hashlib.sha256(store_file.read_bytes()).hexdigest() == digest
    assert [count(conn, t) for t in tables] == rows
    assert retention.purge(conn, NOON, settings).counts == dry.counts


def test_a_failure_first_deletes_nothing_and_is_reported(conn, settings):
    plant_one_of_each(conn, NOON - 400 * DAY)
    due_before = retention.due(conn, NOON, settings)
    broken = Rule("broken", "SELECT 1", ("DELETE FROM no_such_table",))
    report = retention.purge(conn, NOON, settings, rules=(broken, *RULES))
    assert report.outcome == "failed"
    assert "nothing was deleted" in report.problem
    assert retention.due(conn, NOON, settings) == due_before
    runs = purge_reports.recent(conn)
    assert [(r.outcome, r.counts) for r in runs[:1]] == [("failed", {"broken": 0})]
    assert retention.purge(conn, NOON, settings).counts == due_before


def test_a_failing_batch_is_undone_whole_and_the_next_run_finishes(conn, settings):
    plant_one_of_each(conn, NOON - 400 * DAY)
    due_before = retention.due(conn, NOON, settings)
    audit_before = count(conn, "audit_events")
    # Its first statement would delete audit events: the batch fails after it, so none go.
    broken = Rule(
        "broken", "SELECT count(*) FROM audit_events WHERE at <= :now",
        ("DELETE FROM audit_events WHERE {where}", "DELETE FROM no_such_table"),
        table="audit_events", where="at <= :now",
    )  # fmt: skip
    report = retention.purge(conn, NOON, settings, rules=(*RULES[:3], broken, *RULES[3:]))
    assert report.outcome == "failed" and "the next run finishes" in report.problem
    done_first = {rule.kind: due_before[rule.kind] for rule in RULES[:3]}  # run before it
    assert {k: n for k, n in report.counts.items() if k != "broken"} == done_first
    assert count(conn, "audit_events") == audit_before
    assert purge_reports.recent(conn)[0].counts == {**done_first, "broken": 0}
    assert db.integrity_problems(conn) == []
    rest = retention.purge(conn, NOON, settings).counts
    assert {k: n for k, n in rest.items() if n} == {
        k: n for k, n in due_before.items() if n and k not in done_first
    }
    assert sum(retention.due(conn, NOON, settings).values()) == 0


def test_a_second_purge_is_refused_while_one_runs(conn, settings):
    with (
        retention.exclusive(retention.store_path(conn)),
        pytest.raises(retention.PurgeRefused, match="another purge"),
    ):
        retention.purge(conn, NOON, settings)
    assert retention.purge(conn, NOON, settings).outcome == "done"


def test_a_purge_inside_a_transaction_is_refused(conn, settings):
    with db.transaction(conn), pytest.raises(retention.PurgeRefused):
        retention.purge(conn, NOON, settings)


def test_reports_hold_counts_and_timings(conn, settings):
    plant.fill(conn, NOON, 200)
    report = retention.purge(conn, NOON, settings)
    assert set(report.steps) == set(retention.STEPS)
    assert report.seconds >= sum(report.steps.values()) * 0.99
    (run,) = purge_reports.recent(conn)
    assert run.started_at == NOON and run.outcome == "done"
    assert run.counts == report.counts
    assert set(run.steps) == {"delete", "checkpoint", "vacuum"}
    document = report.as_json()
    assert document["started_at"] == "2026-06-15T16:00:00Z"
    assert set(document) >= {"dry_run", "started_at", "counts", "seconds"}


def test_every_rule_names_settings_that_exist(settings):
    for rule in RULES:
        for period in rule.periods:
            assert period.setting in settings, (rule.kind, period.setting)
    assert len({rule.kind for rule in RULES}) == len(RULES)


def test_every_rule_is_active_on_the_real_schema(conn):
    active = {rule.kind for rule in retention.active_rules(conn)}
    assert active == {rule.kind for rule in RULES}
