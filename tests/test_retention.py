"""Retention rules at their boundaries, with an injected clock, across DST changes.

A "day" is 86,400 seconds (see casework/retention_rules.py): a period spanning a DST
change ends an hour later or earlier in wall-clock time, never shorter in elapsed time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from helpers import planted as plant
from helpers.planted import count, local

from casework.store import db, purge_reports, purge_steps, retention
from casework.store.retention_rules import AUDIT_EVENTS, DORMANT_CASES, RULES, Rule

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


# --- What an operator reads: the JSON report, the log line, the refusals -----------------


def test_the_json_report_gives_the_start_in_utc_and_times_to_the_millisecond():
    report = retention.Report(
        NOON,
        False,
        {"audit_events": 3, "sessions": 0},
        steps={"delete": 0.1234567, "checkpoint": 0.0004, "vacuum": 2, "final_checkpoint": 0.0126},
        seconds=2.13456,
    )
    assert report.as_json() == {
        "dry_run": False,
        "started_at": "2026-06-15T16:00:00Z",
        "counts": {"audit_events": 3, "sessions": 0},
        "seconds": 2.135,
        "steps": {"delete": 0.123, "checkpoint": 0.0, "vacuum": 2.0, "final_checkpoint": 0.013},
        "outcome": "done",
    }


def test_a_purge_reports_each_step_and_logs_one_line(conn, settings, caplog):
    plant_one_of_each(conn, NOON - 400 * DAY)
    caplog.set_level(logging.INFO, logger="casework")
    began = time.perf_counter()
    report = retention.purge(conn, NOON, settings)
    took = time.perf_counter() - began
    document = report.as_json()
    assert list(document["steps"]) == list(retention.STEPS)
    assert document["steps"] == {name: round(s, 3) for name, s in report.steps.items()}
    assert document["seconds"] == round(report.seconds, 3)
    assert sum(report.steps.values()) * 0.99 <= report.seconds <= took
    (run,) = purge_reports.recent(conn)
    assert 0 < run.seconds <= report.seconds  # recorded just before the final checkpoint
    assert messages(caplog) == [f"purge done: {report.total} rows in {report.seconds:.2f} s"]


def test_a_purge_inside_a_transaction_is_refused_with_its_reason(conn, settings):
    with db.transaction(conn), pytest.raises(retention.PurgeRefused) as refused:
        retention.purge(conn, NOON, settings)
    assert str(refused.value) == "a purge cannot run inside another transaction"


# --- Which rules a purge applies ----------------------------------------------------------


def test_a_dry_run_of_chosen_rules_counts_only_those(conn, settings):
    plant_one_of_each(conn, NOON - 400 * DAY)
    dry = retention.purge(conn, NOON, settings, dry_run=True, rules=(AUDIT_EVENTS,))
    assert dry.counts == {"audit_events": 1}


def test_the_case_codes_of_chosen_rules_only(conn, settings):
    with db.transaction(conn):
        for code, state, changed, closed in (
            ("K7M-DORM-AN1", "open", NOON - 100 * DAY, None),
            ("K7M-CLOS-ED1", "closed", NOON - 40 * DAY, NOON - 40 * DAY),
        ):
            conn.execute(
                "INSERT INTO cases (code, state, opened_at, changed_at, closed_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (code, state, changed, changed, closed),
            )
    everything = retention.due_codes(conn, NOON, settings)
    assert everything["dormant_cases"] == {"K7M-DORM-AN1"}
    assert everything["closed_cases"] == {"K7M-CLOS-ED1"}
    dormant = retention.due_codes(conn, NOON, settings, rules=(DORMANT_CASES,))
    assert dormant == {"dormant_cases": {"K7M-DORM-AN1"}}


def test_a_rule_applies_to_a_store_that_has_just_its_tables(settings):
    # A store with nothing but an audit log: the audit rule applies, no other rule does.
    store = db.connect(":memory:", None)
    try:
        store.execute("CREATE TABLE audit_events (at INTEGER NOT NULL)")
        store.execute("INSERT INTO audit_events (at) VALUES (?)", (NOON - 100 * DAY,))
        assert [rule.kind for rule in retention.active_rules(store)] == ["audit_events"]
        assert retention.due(store, NOON, settings) == {"audit_events": 1}
    finally:
        store.close()


# --- A purge that stops, or cannot finish, and what it says -------------------------------

DISK_FULL = "database or disk is full"  # what SQLite says on SQLITE_FULL
WRITES = ("INSERT", "UPDATE", "DELETE", "VACUUM", "PRAGMA wal_checkpoint")


class FaultyStore:
    """The store's connection, where statements starting with one of ``prefixes`` fail as
    SQLite fails them (``message``): from the start (``failing``), once ``fill()`` is called,
    or once ``after`` statements starting with ``after_prefix`` have run; at most ``times``
    times (None: until the end)."""

    def __init__(self, conn, *, message=DISK_FULL, prefixes=WRITES, failing=False, times=None):
        self._conn, self.message, self.prefixes = conn, message, prefixes
        self.failing, self.times, self.faults = failing, times, 0
        self.after_prefix, self.after = "", 0

    def fill(self, *, after: int = 0, of: str = "") -> FaultyStore:
        if after:
            self.after_prefix, self.after = of, after
        else:
            self.failing = True
        return self

    def execute(self, sql: str, *args):
        more = self.times is None or self.faults < self.times
        if self.failing and more and sql.startswith(self.prefixes):
            self.faults += 1
            raise db.OperationalError(self.message)
        result = self._conn.execute(sql, *args)
        if self.after_prefix and sql.startswith(self.after_prefix):
            self.after -= 1
            self.failing = self.failing or self.after == 0
        return result

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "casework"]


def old_audit_events(conn, rows: int, *, target: str) -> None:
    with db.transaction(conn):
        conn.executemany(
            "INSERT INTO audit_events (at, action, target) VALUES (?, 'test', ?)",
            ((NOON - 100 * DAY, f"{target}-{i}") for i in range(rows)),
        )


def test_a_purge_on_a_full_disk_deletes_nothing_and_says_so(conn, settings, caplog):
    old_audit_events(conn, 3, target="K7M-SECR-ET1")
    caplog.set_level(logging.INFO, logger="casework")
    full = FaultyStore(conn, failing=True)  # not even the run's record can be written
    began = time.perf_counter()
    report = retention.purge(full, NOON, settings)
    assert report.outcome == "failed" and report.total == 0
    assert report.problem == "nothing was deleted: the disk is full"
    assert 0 <= report.seconds == report.steps["delete"] <= time.perf_counter() - began
    assert messages(caplog) == ["purge stopped: disk full"]
    assert "K7M-SECR-ET1" not in caplog.text
    assert purge_reports.recent(conn) == []
    assert retention.due(conn, NOON, settings)["audit_events"] == 3
    assert retention.purge(conn, NOON, settings).counts["audit_events"] == 3  # space again


def test_a_purge_that_cannot_start_is_on_the_record_as_failed(conn, settings, caplog):
    old_audit_events(conn, 3, target="K7M-SECR-ET1")
    caplog.set_level(logging.INFO, logger="casework")
    # Another writer held the store past the busy timeout as the purge began, then let go.
    locked = FaultyStore(
        conn, message="database is locked", prefixes=("BEGIN",), failing=True, times=1
    )
    report = retention.purge(locked, NOON, settings)
    assert report.outcome == "failed"
    assert report.problem == "nothing was deleted: database is locked"
    assert messages(caplog) == ["purge stopped: OperationalError"]
    assert purge_reports.recent(conn) == [
        purge_reports.PurgeRun(NOON, {}, {}, report.seconds, "failed")
    ]


def test_a_broken_rule_stops_the_purge_with_the_stores_reason(conn, settings, caplog):
    caplog.set_level(logging.INFO, logger="casework")
    broken = Rule("broken", "SELECT 1", ("DELETE FROM no_such_table",))
    report = retention.purge(conn, NOON, settings, rules=(broken,))
    assert report.problem == "nothing was deleted: no such table: no_such_table"
    assert messages(caplog) == ["purge stopped: OperationalError"]


def test_a_purge_stopped_by_a_full_disk_after_a_batch_says_the_next_run_finishes(
    conn, settings, caplog
):
    old_audit_events(conn, 600, target="K7M-SECR-ET1")  # two batches
    caplog.set_level(logging.INFO, logger="casework")
    # Full once the first batch has updated the run's record (and committed).
    filling = FaultyStore(conn).fill(after=1, of="UPDATE purge_reports")
    report = retention.purge(filling, NOON, settings)
    assert report.outcome == "failed"
    assert report.counts["audit_events"] == 500  # the first batch, committed
    assert report.problem == (
        "stopped after deleting 500 row(s), nothing half-done: the disk is full;"
        " the next run finishes"
    )
    assert messages(caplog) == ["purge stopped: disk full"]
    assert "K7M-SECR-ET1" not in caplog.text
    (run,) = purge_reports.recent(conn)  # as the first batch left it
    assert (run.outcome, run.counts["audit_events"]) == ("deleted", 500)
    assert count(conn, "audit_events") == 100
    rest = retention.purge(conn, NOON, settings)
    assert (rest.outcome, rest.counts["audit_events"]) == ("done", 100)


def test_a_disk_filling_at_the_end_leaves_the_deletion_done_and_the_purge_incomplete(
    conn, settings, caplog
):
    plant_one_of_each(conn, NOON - 400 * DAY)
    due_before = retention.due(conn, NOON, settings)
    caplog.set_level(logging.INFO, logger="casework")
    filling = FaultyStore(conn)
    report = retention.purge(
        filling, NOON, settings,
        progress=lambda step: filling.fill() if step == "final_checkpoint" else None,
    )  # fmt: skip
    assert report.counts == due_before and report.total > 0
    assert report.outcome == "incomplete"
    assert report.problem == "final_checkpoint: the disk is full"
    assert messages(caplog) == [
        "purge: disk full",
        f"purge incomplete: {report.total} rows in {report.seconds:.2f} s",
    ]
    (run,) = purge_reports.recent(conn)  # its last batch's counts: the deletion is on record
    assert run.outcome == "deleted" and run.counts == due_before
    assert sum(retention.due(conn, NOON, settings).values()) == 0


def test_a_purge_kept_busy_while_compacting_is_incomplete_and_says_where(
    app, conn, settings, store_key, monkeypatch, caplog
):
    monkeypatch.setattr(purge_steps, "MAINTENANCE_ATTEMPTS", 1)
    monkeypatch.setattr(purge_steps, "VACUUM_ATTEMPTS", 1)
    monkeypatch.setattr(purge_steps, "MAINTENANCE_BUSY_MS", 20)
    plant_one_of_each(conn, NOON - 400 * DAY)
    caplog.set_level(logging.INFO, logger="casework")
    other = db.connect(app.extensions["casework_store"].path, store_key)

    def hold(step: str) -> None:
        if step == "checkpoint":  # a reader keeps the WAL from being truncated
            other.execute("BEGIN")
            other.execute("SELECT count(*) FROM users").fetchone()
        elif step == "vacuum":  # a writer keeps VACUUM from starting
            other.execute("ROLLBACK")
            other.execute("BEGIN IMMEDIATE")
        elif step == "final_checkpoint":
            other.execute("ROLLBACK")

    try:
        report = retention.purge(conn, NOON, settings, progress=hold)
    finally:
        other.close()
    assert report.outcome == "incomplete"
    assert report.problem == "checkpoint: the store stayed busy; vacuum: the store stayed busy"
    assert purge_reports.recent(conn)[0].outcome == "incomplete"
    assert messages(caplog) == [f"purge incomplete: {report.total} rows in {report.seconds:.2f} s"]
    assert retention.purge(conn, NOON, settings).outcome == "done"


def test_a_final_checkpoint_kept_busy_leaves_the_record_incomplete_too(
    app, conn, settings, store_key, monkeypatch
):
    """The record is written before the last checkpoint (so that the WAL ends empty); when
    that checkpoint cannot finish, the record must not stay "done"."""
    monkeypatch.setattr(purge_steps, "MAINTENANCE_ATTEMPTS", 1)
    monkeypatch.setattr(purge_steps, "MAINTENANCE_BUSY_MS", 20)
    plant_one_of_each(conn, NOON - 400 * DAY)
    other = db.connect(app.extensions["casework_store"].path, store_key)

    def hold(step: str) -> None:
        if step == "final_checkpoint":  # a reader keeps the WAL from being truncated
            other.execute("BEGIN")
            other.execute("SELECT count(*) FROM users").fetchone()

    try:
        report = retention.purge(conn, NOON, settings, progress=hold)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert report.outcome == "incomplete"
    assert report.problem == "final_checkpoint: the store stayed busy"
    assert purge_reports.recent(conn)[0].outcome == "incomplete"


def test_while_a_purge_compacts_its_record_already_holds_what_it_deleted(conn, settings):
    plant_one_of_each(conn, NOON - 400 * DAY)
    due_before = retention.due(conn, NOON, settings)
    seen = []

    def look(step: str) -> None:
        seen.append(step)
        if step == "checkpoint":  # a purge killed now leaves this record
            (run,) = purge_reports.recent(conn)
            assert (run.outcome, run.counts) == ("deleted", due_before)

    retention.purge(conn, NOON, settings, progress=look)
    assert seen == list(retention.STEPS)


def test_a_batch_is_sized_to_hold_the_lock_about_batch_seconds():
    """Proportional to how long the last batch took, growing by GROWTH at most, within
    MIN_BATCH and MAX_BATCH: a writer waits for about one batch, whatever the rows cost."""
    size = purge_steps._BatchSize()
    assert size.rows == purge_steps.FIRST_BATCH
    size.took(purge_steps.BATCH_SECONDS / 2)  # twice as many would take the target
    assert size.rows == 2 * purge_steps.FIRST_BATCH
    size.took(0.0)  # instant: grows, but by GROWTH at most
    assert size.rows == 2 * purge_steps.FIRST_BATCH * purge_steps.GROWTH
    size.took(purge_steps.BATCH_SECONDS * 4)  # four times too long: a quarter
    assert size.rows == 2 * purge_steps.FIRST_BATCH * purge_steps.GROWTH // 4
    size.took(1000.0)
    assert size.rows == purge_steps.MIN_BATCH
    for _ in range(20):
        size.took(0.0)
    assert size.rows == purge_steps.MAX_BATCH
