"""Retention: what is past its period (``due``) and the secure purge that removes it.

A purge deletes everything due in short batches (``BEGIN IMMEDIATE`` each, with
``secure_delete`` on, set by store.db), so that a writer waits for one batch at most;
each batch updates the run's report row with its counts in the same transaction, so a
killed purge leaves a consistent store whose report tells what was done, and the next run
finishes. Then ``wal_checkpoint(TRUNCATE)``, ``VACUUM`` (interrupted by any writer, then
started again) and ``wal_checkpoint(TRUNCATE)``: no freed page or stale WAL frame keeps a
purged row, even for someone holding the key.

Only one purge runs at a time: a process-wide lock refuses a second one in the same
process, and an exclusive ``flock`` on ``<store>-purge.lock`` refuses one from another
process (the CLI while the server runs); the kernel drops that lock when a process dies,
even by ``kill -9``, so a crash never leaves a stale "purge in progress" behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from casework.rules.wording import N_, Explained
from casework.store import purge_reports
from casework.store import purge_steps as steps
from casework.store.db import Connection, Error, is_disk_full
from casework.store.retention_rules import RULES, Rule

log = logging.getLogger("casework")

STEPS = ("delete", "checkpoint", "vacuum", "final_checkpoint")
# Maintenance steps wait at most this long for readers/writers, then retry: a long wait
# inside a checkpoint would hold up page requests that want to write.
_RUNNING = threading.Lock()

Progress = steps.Progress


class PurgeRefused(Explained):
    """Another purge is running (in this process or another); the message is safe to show."""


@dataclass
class Report:
    """What one run did (or, for a dry run, would do): counts per kind and step timings."""

    started_at: int
    dry_run: bool
    counts: dict[str, int]
    steps: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    outcome: str = "done"  # done | incomplete (deleted, not compacted) | failed (nothing)
    problem: str | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        """The documented JSON report: counts only, never codes or content."""
        started = dt.datetime.fromtimestamp(self.started_at, dt.UTC)
        return {
            "dry_run": self.dry_run,
            "started_at": started.isoformat().replace("+00:00", "Z"),
            "counts": dict(self.counts),
            "seconds": round(self.seconds, 3),
            "steps": {name: round(s, 3) for name, s in self.steps.items()},
            "outcome": self.outcome,
        }


def existing_tables(conn: Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
    return {row[0] for row in rows}


def active_rules(conn: Connection, rules: tuple[Rule, ...] = RULES) -> list[Rule]:
    """The rules whose tables exist in this store."""
    tables = existing_tables(conn)
    return [rule for rule in rules if set(rule.requires) <= tables]


def bindings(rule: Rule, now: int, settings: dict[str, Any]) -> dict[str, int]:
    """``:now`` and each cutoff of ``rule``: now minus its period in seconds."""
    values = {"now": now}
    for period in rule.periods:
        values[period.param] = now - settings[period.setting] * period.unit
    return values


def due(
    conn: Connection, now: int, settings: dict[str, Any], rules: tuple[Rule, ...] = RULES
) -> dict[str, int]:
    """How many rows of each kind are past their period at ``now`` (reads only)."""
    return {
        rule.kind: conn.execute(rule.count, bindings(rule, now, settings)).fetchone()[0]
        for rule in active_rules(conn, rules)
    }


def due_codes(
    conn: Connection, now: int, settings: dict[str, Any], rules: tuple[Rule, ...] = RULES
) -> dict[str, set[str]]:
    """The case codes each case rule would touch at ``now`` (for coordinators' eyes only)."""
    return {
        rule.kind: {row[0] for row in conn.execute(rule.codes, bindings(rule, now, settings))}
        for rule in active_rules(conn, rules)
        if rule.codes
    }


def purge(
    conn: Connection,
    now: int,
    settings: dict[str, Any],
    dry_run: bool = False,
    *,
    rules: tuple[Rule, ...] = RULES,
    progress: Progress | None = None,
) -> Report:
    """Delete everything due at ``now`` in batches, then compact the store.

    Returns a report; a failed batch is rolled back (the ones before it stay done) and the
    run reported as ``failed``; a maintenance step that stays busy, or a full disk, leaves
    the deletion committed and reports ``incomplete`` (the next run compacts again).
    Raises PurgeRefused when another purge is running.
    """
    if conn.in_transaction:
        raise PurgeRefused(N_("a purge cannot run inside another transaction"))
    if dry_run:
        return Report(now, True, due(conn, now, settings, rules))
    with exclusive(store_path(conn)):
        return _purge(conn, now, settings, rules, progress or (lambda _step: None))


def _purge(conn, now, settings, rules, progress: Progress) -> Report:
    report = Report(now, False, {})
    clock = time.perf_counter()
    progress("delete")
    report_id = None
    try:
        report_id = purge_reports.start(conn, now)
        active = active_rules(conn, rules)
        steps.delete(conn, active, lambda rule: bindings(rule, now, settings), report, report_id)
    except Error as exc:
        return _stopped(conn, report, report_id, clock, exc)
    report.steps["delete"] = time.perf_counter() - clock
    problems = steps.compact(conn, report, progress)
    report.outcome = "incomplete" if problems else "done"
    report.seconds = time.perf_counter() - clock
    progress("final_checkpoint")
    started = time.perf_counter()
    # Recorded before the last checkpoint, so that the WAL ends empty.
    with contextlib.suppress(Error):
        purge_reports.finish(conn, report_id, report)
    problem = steps.final_checkpoint(conn)
    if problem:
        report.outcome = "incomplete"
        problems.append(f"final_checkpoint: {problem}")
        # The record said "done": it says so no longer (the WAL is not empty anyway).
        with contextlib.suppress(Error):
            purge_reports.finish(conn, report_id, report)
    report.problem = "; ".join(problems) or None
    report.steps["final_checkpoint"] = time.perf_counter() - started
    report.seconds = time.perf_counter() - clock
    log.info("purge %s: %d rows in %.2f s", report.outcome, report.total, report.seconds)
    return report


def _stopped(conn, report: Report, report_id: int | None, clock: float, exc: Error) -> Report:
    """A batch failed: it is rolled back, the batches before it stay done (counted)."""
    reason = "the disk is full" if is_disk_full(exc) else str(exc)
    log.error("purge stopped: %s", "disk full" if is_disk_full(exc) else type(exc).__name__)
    report.steps["delete"] = time.perf_counter() - clock
    report.seconds, report.outcome = report.steps["delete"], "failed"
    report.problem = (
        f"stopped after deleting {report.total} row(s), nothing half-done: {reason};"
        " the next run finishes"
        if report.total
        else f"nothing was deleted: {reason}"
    )
    with contextlib.suppress(Error):
        if report_id is None:
            purge_reports.record_failure(conn, report.started_at, report.seconds)
        else:
            purge_reports.finish(conn, report_id, report)
    return report


def store_path(conn: Connection) -> str:
    """The main database file of ``conn`` ('' for an in-memory database)."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return row[2] or ""
    return ""


@contextlib.contextmanager
def exclusive(db_path: str) -> Iterator[None]:
    """Hold the purge locks (this process, then the lock file) or raise PurgeRefused."""
    if not _RUNNING.acquire(blocking=False):
        raise PurgeRefused(N_("another purge is running; try again when it has finished"))
    fd = -1
    try:
        if db_path:
            fd = os.open(f"{db_path}-purge.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise PurgeRefused(
                    N_("another purge is running (another process); try again when it has finished")
                ) from exc
        yield
    finally:
        if fd >= 0:
            os.close(fd)
        _RUNNING.release()
