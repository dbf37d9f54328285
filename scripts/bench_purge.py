#!/usr/bin/env python
"""Benchmark the secure purge: seconds per step, and how long readers and writers wait
(the worst write wait, and how many writes were refused).

Builds a throwaway store of ``--rows`` audit events (plus a fifth as many sessions), of
which 30% are past their period, then runs one purge while a reader and a writer thread
(each with its own connection, like two page requests) keep working; prints the step
timings and the worst read and write latency seen during the purge. Not a test: a figure.

Example: .venv/bin/python scripts/bench_purge.py --rows 200000
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's casework and test helpers

from helpers import planted  # noqa: E402  (test helper: plants rows straight into the store)

from casework import config  # noqa: E402
from casework.store import db, retention  # noqa: E402
from casework.store.migrations import migrate  # noqa: E402


def worst_latency(path: Path, key: bytes, write: bool, stop: threading.Event) -> list[float]:
    """Run small reads (or writes) in a loop until ``stop``; return each one's duration.

    A write refused ("database is locked" after the 5 s busy timeout) counts as infinite.
    """
    conn = db.connect(path, key)
    seen = []
    try:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                if write:
                    with db.transaction(conn):
                        conn.execute("INSERT INTO audit_events (at, action) VALUES (?, 'bench')",
                                     (int(time.time()),))  # fmt: skip
                else:
                    conn.execute("SELECT count(*) FROM audit_events WHERE at > 0").fetchone()
                seen.append(time.perf_counter() - started)
            except db.OperationalError:
                seen.append(float("inf"))
            time.sleep(0.01)
    finally:
        conn.close()
    return seen


def measure(rows: int, blob: int = 250) -> dict:
    """Build a store, purge it while a reader and a writer work; return the figures."""
    key, settings = secrets.token_bytes(32), config.validate({})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "casework.db"
        conn = db.connect(path, key)
        now = int(time.time())
        migrate(conn, now)
        planted.fill(conn, now, rows, blob=blob)
        db.checkpoint(conn)
        size = path.stat().st_size
        stop, results = threading.Event(), {}
        workers = [
            threading.Thread(
                target=lambda w=w: results.__setitem__(w, worst_latency(path, key, w, stop))
            )
            for w in (False, True)
        ]
        for worker in workers:
            worker.start()
        time.sleep(0.2)
        report = retention.purge(conn, now, settings)
        stop.set()
        for worker in workers:
            worker.join()
        conn.close()
        writes = results[True]
        return {
            "rows": rows + rows // 5,
            "store_mib_before": round(size / 2**20, 1),
            "store_mib_after": round(path.stat().st_size / 2**20, 1),
            "deleted": report.total,
            "outcome": report.outcome,
            "seconds": round(report.seconds, 3),
            "steps": {k: round(v, 3) for k, v in report.steps.items()},
            "worst_read_s": round(max(results[False]), 3),
            "worst_write_s": round(max([w for w in writes if w != float("inf")], default=0), 3),
            "writes": len(writes),
            "writes_refused": sum(1 for w in writes if w == float("inf")),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--blob", type=int, default=250, help="bytes of text per row")
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.blob), indent=2))


if __name__ == "__main__":
    main()
