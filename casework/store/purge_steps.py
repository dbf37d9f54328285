"""The two steps of a purge: deleting what is due in short batches, then compacting.

Both give way to writers: a batch holds the write lock about ``BATCH_SECONDS`` and the
writers queued meanwhile go first; a checkpoint waits for readers only briefly at a time,
and a VACUUM that keeps a writer waiting is interrupted (rolled back whole) and started
again. ``retention.purge`` runs them, under its locks, and reports.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from casework.store import purge_reports
from casework.store.db import (
    BUSY_TIMEOUT_MS,
    Connection,
    OperationalError,
    is_disk_full,
    longest_writer_wait,
    transaction,
    writers_waiting,
)
from casework.store.retention_rules import Rule

if TYPE_CHECKING:
    from casework.store.retention import Report

log = logging.getLogger("casework")
Progress = Callable[[str], None]

# A TRUNCATE checkpoint holds writers back while it waits for readers: keep it short.
MAINTENANCE_BUSY_MS = 250
MAINTENANCE_ATTEMPTS = 12
# A VACUUM gives way to a writer that has waited this long (it is rolled back whole and
# starts again): a short VACUUM finishes, a long one never holds a sign-up for seconds.
VACUUM_PATIENCE_SECONDS = 0.5
VACUUM_ATTEMPTS = 20
VACUUM_CHECK_STEPS = 1000  # virtual machine steps between two looks for a waiting writer
# Deletion batches: each aims to hold the write lock about BATCH_SECONDS (a commit costs
# an fsync, so much shorter batches make a long purge much longer).
BATCH_SECONDS = 0.3
FIRST_BATCH, MIN_BATCH, MAX_BATCH = 500, 10, 50_000
# A batch grows towards BATCH_SECONDS at most this many times the last one: each batch
# rewrites the index pages its rows touch, so the first small ones cost frames (measured
# on the medium demo: 16,755 WAL frames growing by 2, 14,446 by 8, 10,281 in one go).
GROWTH = 8
# Between batches, writers that queued meanwhile go first, for at most this long.
YIELD_SECONDS = 1.0


class _BatchSize:
    """Rows per batch, grown or shrunk so that one batch holds the write lock about
    ``BATCH_SECONDS``: a writer (a sign-up) waits for one batch at most."""

    def __init__(self) -> None:
        self.rows = FIRST_BATCH

    def took(self, seconds: float) -> None:
        # Proportional, each rule on its own (a rule's rows can cost ten times another's),
        # and growing by GROWTH at most: one batch's rows say little of ten times as many.
        wanted = self.rows * BATCH_SECONDS / max(seconds, 0.001)
        self.rows = int(min(max(wanted, MIN_BATCH), self.rows * GROWTH, MAX_BATCH))


def delete(
    conn: Connection,
    rules: list[Rule],
    bind: Callable[[Rule], dict],
    report: Report,
    report_id: int,
) -> None:
    """Apply each rule in batches; each batch commits with the report's running counts."""
    for rule in rules:
        size = _BatchSize()  # each rule's rows cost their own time
        values = bind(rule)
        report.counts[rule.kind] = 0
        if not rule.table:  # a rule without a table to range over runs whole, once
            with transaction(conn):
                rows = conn.execute(rule.count, values).fetchone()[0]
                for statement in rule.statements:
                    conn.execute(statement, values)
                purge_reports.record_counts(conn, report_id, {**report.counts, rule.kind: rows})
            report.counts[rule.kind] = rows  # counted once committed
            continue
        after = rule.first_key
        while after is not None:
            after = _batch(conn, rule, {**values, "after": after}, size, report, report_id)
            _yield_to_writers()


def _batch(conn, rule: Rule, values: dict, size: _BatchSize, report: Report, report_id: int):
    """One batch of ``rule`` after ``values['after']``; returns the next start, or None."""
    with transaction(conn):
        started = time.perf_counter()
        keys = [row[0] for row in conn.execute(rule.next_batch, {**values, "limit": size.rows})]
        if keys:
            batch = {**values, "keys": json.dumps(keys)}
            for statement in rule.statements:
                conn.execute(statement.format(where=rule.batch_where), batch)
            done = {**report.counts, rule.kind: report.counts[rule.kind] + len(keys)}
            purge_reports.record_counts(conn, report_id, done)
    if keys:  # counted once committed
        report.counts[rule.kind] += len(keys)
    size.took(time.perf_counter() - started)
    return keys[-1] if keys else None


def _yield_to_writers() -> None:
    # The write lock is not fair: wait until the writers queued meanwhile have had it.
    deadline = time.monotonic() + YIELD_SECONDS
    while writers_waiting() and time.monotonic() < deadline:
        time.sleep(0.002)


def compact(conn: Connection, report: Report, progress: Progress) -> list[str]:
    """Checkpoint and VACUUM; return what could not be done (the deletion is committed)."""
    problems = []
    for step, action, attempts in (
        ("checkpoint", lambda: _checkpoint(conn), MAINTENANCE_ATTEMPTS),
        ("vacuum", lambda: _vacuum(conn), VACUUM_ATTEMPTS),
    ):
        progress(step)
        started = time.perf_counter()
        problem = _retry(action, maintenance=conn, attempts=attempts)
        if problem:
            problems.append(f"{step}: {problem}")
        report.steps[step] = time.perf_counter() - started
    return problems


def final_checkpoint(conn: Connection) -> str | None:
    """The last checkpoint, leaving the WAL empty; what stopped it, or None."""
    return _retry(lambda: _checkpoint(conn), maintenance=conn)


def _checkpoint(conn: Connection) -> bool:
    # PASSIVE copies the bulk without holding writers back; TRUNCATE then has little left.
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    # (busy, wal frames, checkpointed): busy=1 when a reader kept the WAL from truncating.
    return conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0


def _vacuum(conn: Connection) -> bool:
    # VACUUM holds the write lock throughout: a writer kept waiting interrupts it (rolled
    # back whole, nothing lost), and it starts again once the writers are done.
    def give_way() -> int:
        return 1 if longest_writer_wait() > VACUUM_PATIENCE_SECONDS else 0

    conn.set_progress_handler(give_way, VACUUM_CHECK_STEPS)
    try:
        conn.execute("VACUUM")
    except OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        _yield_to_writers()
        return False
    finally:
        conn.set_progress_handler(None, 0)
    return True


def _retry(
    action: Callable[[], bool], maintenance: Connection, attempts: int = MAINTENANCE_ATTEMPTS
) -> str | None:
    """Run a maintenance step with a short busy wait, a few times; what stopped it, or None."""
    maintenance.execute(f"PRAGMA busy_timeout = {MAINTENANCE_BUSY_MS}")
    try:
        for attempt in range(attempts):
            try:
                if action():
                    return None
            except OperationalError as exc:
                if is_disk_full(exc):
                    log.error("purge: disk full")
                    return "the disk is full"
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            time.sleep(0.05 * min(attempt + 1, 4))
            _yield_to_writers()
        return "the store stayed busy"
    finally:
        maintenance.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
