"""Purge reports: when a run started, counts per kind, step timings. Never codes or content."""

from __future__ import annotations

import json
from dataclasses import dataclass

from casework.store.db import Connection, transaction


@dataclass(frozen=True)
class PurgeRun:
    started_at: int
    counts: dict[str, int]
    steps: dict[str, float]
    seconds: float
    outcome: str


def start(conn: Connection, now: int) -> int:
    """Record a run as it starts: a killed run stays on the record, as ``deleted``."""
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO purge_reports (started_at, counts, outcome) VALUES (?, '{}', 'deleted')",
            (now,),
        )
    return cursor.lastrowid


def record_counts(conn: Connection, report_id: int, counts: dict[str, int]) -> None:
    """The counts so far, written inside each batch: the record and the deletion agree."""
    conn.execute(
        "UPDATE purge_reports SET counts = ? WHERE id = ?",
        (json.dumps(counts, sort_keys=True), report_id),
    )


def finish(conn: Connection, report_id: int, report) -> None:
    """The final counts, the step timings and the outcome of a run (a retention.Report)."""
    steps = json.dumps({k: round(v, 4) for k, v in report.steps.items()})
    with transaction(conn):
        conn.execute(
            "UPDATE purge_reports SET counts = ?, steps = ?, seconds = ?, outcome = ? WHERE id = ?",
            (json.dumps(report.counts, sort_keys=True), steps, report.seconds, report.outcome,
             report_id),
        )  # fmt: skip


def record_failure(conn: Connection, now: int, seconds: float) -> None:
    """A run whose deletion was rolled back: it deleted nothing, but it is on the record."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO purge_reports (started_at, seconds, outcome) VALUES (?, ?, 'failed')",
            (now, seconds),
        )


def recent(conn: Connection, limit: int = 60) -> list[PurgeRun]:
    """The latest runs, newest first."""
    rows = conn.execute(
        "SELECT started_at, counts, steps, seconds, outcome FROM purge_reports"
        " ORDER BY started_at DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [PurgeRun(r[0], json.loads(r[1]), json.loads(r[2]), r[3], r[4]) for r in rows.fetchall()]
