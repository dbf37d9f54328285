"""The store-level parts of ./scripts/bench: A (what encryption costs the store functions
behind each page) and D (the purge), plus the copies of the demo store they work on.

Everything here runs on throwaway copies of a synthetic demo store inside the bench's
temporary folder, deleted when the bench ends.
"""

from __future__ import annotations

import random
import shutil
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from casework import config
from casework.home.views import OPEN_TASKS_SHOWN
from casework.store import boards, cases, db, retention, staffing, tasks

# Calls per function and store (after a warm-up pass): enough for a stable median.
CALLS = 100
DAY = 86_400
PURGE_SHARE = 0.30


def copy_store(source: Path, target: Path) -> Path:
    """Copy a closed store file (its WAL was folded in when the last connection closed)."""
    shutil.copyfile(source, target)
    return target


def plaintext_copy(keyed: Path, key: bytearray, target: Path) -> Path:
    """The same data, unencrypted, through the same sqlcipher3 build.

    BENCH ONLY: synthetic demo data, written to the bench's temporary folder and deleted
    with it. casework itself never writes a store without a key (store.db refuses KEY '').
    """
    conn = db.connect(keyed, key)
    try:
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(target),))
        conn.execute("SELECT sqlcipher_export('plain')").fetchall()
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()
    return target


def passphrase_copy(keyed: Path, key: bytearray, passphrase: str, target: Path) -> Path:
    """A copy keyed with a *passphrase* through SQLCipher's own KDF, for the naive server."""
    conn = db.connect(keyed, key)
    try:
        literal = passphrase.replace("'", "''")
        conn.execute(f"ATTACH DATABASE ? AS naive KEY '{literal}'", (str(target),))
        conn.execute("SELECT sqlcipher_export('naive')").fetchall()
        conn.execute("PRAGMA naive.journal_mode = WAL").fetchall()  # as the real store
        conn.execute("DETACH DATABASE naive")
    finally:
        conn.close()
    return target


def _samples(conn: db.Connection, now: int) -> dict:
    """Real ids and codes to call the functions with, taken from the demo data."""
    rng = random.Random(7)
    volunteers = conn.execute(
        "SELECT id, languages FROM users WHERE role = 'volunteer' ORDER BY id"
    ).fetchall()
    coordinator = conn.execute("SELECT id FROM users WHERE role = 'coordinator'").fetchone()[0]
    codes = [r[0] for r in conn.execute("SELECT code FROM cases WHERE state = 'open'")]
    free = conn.execute(
        "SELECT t.id, t.case_id FROM tasks t JOIN cases c ON c.id = t.case_id"
        " WHERE t.state = 'open' AND c.state = 'open' AND t.starts_at > ?"
        " AND (SELECT count(*) FROM assignments a WHERE a.task_id = t.id) < t.people_needed"
        " LIMIT 200",
        (now + DAY,),
    ).fetchall()
    pairs = []
    for task_id, case_id in free:
        for user_id, _ in rng.sample(volunteers, min(8, len(volunteers))):
            if not tasks.is_assigned(conn, task_id, user_id):
                pairs.append(({"id": task_id, "case_id": case_id}, user_id))
                break
    return {
        "volunteers": [tuple(v) for v in rng.sample(volunteers, min(50, len(volunteers)))],
        "coordinator": coordinator,
        "codes": rng.sample(codes, min(200, len(codes))),
        "pairs": pairs,
    }


def _details(now: int) -> tasks.TaskDetails:
    start = now + 10 * DAY
    return tasks.TaskDetails(
        "hearing", start, start + 3600, "Palais de justice", "Main entrance", 2, ["fr"],
        "Arrive early.", False,
    )  # fmt: skip


def store_calls(samples: dict, now: int, flag_days: int) -> dict[str, Callable]:
    """Name -> f(conn, i): the store functions behind the main pages, on varied inputs."""
    vol, codes, pairs = samples["volunteers"], samples["codes"], samples["pairs"]
    coordinator = samples["coordinator"]

    def sign_up(conn, i):  # take a place, then give it back: the store stays as it was
        task, user_id = pairs[i % len(pairs)]
        staffing.take_place(conn, task, user_id, now, user_id)
        staffing.leave(conn, task, user_id, now, user_id)

    return {
        "boards.my_next_tasks": lambda c, i: boards.my_next_tasks(c, vol[i % len(vol)][0], now),
        "boards.awaiting_debrief": lambda c, i: boards.awaiting_debrief(
            c, vol[i % len(vol)][0], now
        ),
        "boards.open_for": lambda c, i: boards.open_for(
            c, vol[i % len(vol)][0], now, vol[i % len(vol)][1], OPEN_TASKS_SHOWN
        ),
        "boards.urgent_open_count": lambda c, i: boards.urgent_open_count(c, now),
        "boards.needs_people": lambda c, i: boards.needs_people(c, now),
        "boards.follow_ups": lambda c, i: boards.follow_ups(c),
        "boards.dormant_cases": lambda c, i: boards.dormant_cases(c, now, flag_days),
        "cases.by_code": lambda c, i: cases.by_code(c, codes[i % len(codes)]),
        "cases.tasks_of": lambda c, i: cases.tasks_of(
            c, cases.by_code(c, codes[i % len(codes)])["id"]
        ),
        "tasks.create": lambda c, i: tasks.create(
            c, cases.by_code(c, codes[i % len(codes)]), _details(now), now, coordinator
        ),
        "staffing.take_place+leave": sign_up,
    }


def measure_store(keyed: Path, plain: Path, key: bytearray, now: int, settings: dict) -> dict:
    """A: median milliseconds per function, keyed and unkeyed, same pragmas, interleaved."""
    conns = {"keyed": db.connect(keyed, key), "unkeyed": db.connect(plain, None)}
    try:
        samples = _samples(conns["keyed"], now)
        calls = store_calls(samples, now, settings["retention.dormant_flag_days"])
        results = {}
        for name, call in calls.items():
            times = {"keyed": [], "unkeyed": []}
            # A first pass over the same inputs warms both page caches, as a long-lived
            # server connection is warm; the second pass is measured.
            for i in range(2 * CALLS):
                for which, conn in conns.items():  # interleaved: both see the same noise
                    started = time.perf_counter()
                    call(conn, i % CALLS)
                    if i >= CALLS:
                        times[which].append((time.perf_counter() - started) * 1000)
            keyed_ms, unkeyed_ms = (statistics.median(times[w]) for w in ("keyed", "unkeyed"))
            results[name] = {
                "keyed_ms": round(keyed_ms, 3),
                "unkeyed_ms": round(unkeyed_ms, 3),
                "ratio": round(keyed_ms / unkeyed_ms, 2) if unkeyed_ms else None,
            }
        return results
    finally:
        for conn in conns.values():
            conn.close()


def purge_now(conn: db.Connection, now: int, settings: dict) -> int:
    """A ``now`` at which about 30% of the tasks are due (the demo's data, aged by days)."""
    total = conn.execute("SELECT count(*) FROM tasks").fetchone()[0] or 1
    for days in range(0, 120):
        due = retention.due(conn, now + days * DAY, settings)
        if due.get("past_tasks", 0) / total >= PURGE_SHARE:
            return now + days * DAY
    return now + 120 * DAY


def _sizes(conn: db.Connection) -> dict[str, int]:
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in ("cases", "tasks", "assignments")
    }


def measure_purge(path: Path, key: bytearray, now: int, settings: dict) -> dict:
    """D: one purge of about 30% of the tasks on a copy (seconds per step, share removed);
    then the same purge on a second copy while a writer keeps writing: its worst wait and
    how many of its writes were refused."""
    contended = copy_store(path, path.with_name(f"{path.stem}-writes.db"))
    try:
        figures = _purge_copy(path, key, now, settings, writer=False)
        with_writes = _purge_copy(contended, key, now, settings, writer=True)
    finally:
        for suffix in ("", "-wal", "-shm", "-purge.lock"):
            Path(f"{contended}{suffix}").unlink(missing_ok=True)
    figures.update(
        {k: with_writes[k] for k in ("worst_write_wait_s", "writes", "writes_refused")},
        seconds_with_writes=with_writes["seconds"],
        outcome_with_writes=with_writes["outcome"],
    )
    return figures


def _purge_copy(path: Path, key: bytearray, now: int, settings: dict, writer: bool) -> dict:
    conn = db.connect(path, key)
    stop, waits = threading.Event(), []
    thread = threading.Thread(target=_keep_writing, args=(path, key, stop, waits))
    try:
        at = purge_now(conn, now, settings)
        before = _sizes(conn)
        if writer:
            thread.start()
        report = retention.purge(conn, at, settings)
        stop.set()
        if writer:
            thread.join()
        after = _sizes(conn)
    finally:
        stop.set()
        conn.close()
    removed = {t: round(1 - after[t] / before[t], 3) if before[t] else 0.0 for t in before}
    done = [w for w in waits if w is not None]
    return {
        "seconds": round(report.seconds, 3),
        "steps": {name: round(s, 3) for name, s in report.steps.items()},
        "outcome": report.outcome,
        "aged_days": (at - now) // DAY,
        "removed_share": removed,
        "rows_before": before,
        "worst_write_wait_s": round(max(done, default=0.0), 3),
        "writes": len(waits),
        "writes_refused": len(waits) - len(done),
    }


def _keep_writing(path: Path, key: bytearray, stop: threading.Event, waits: list) -> None:
    """A small write every 10 ms, like a sign-up: how long each took (None: refused)."""
    conn = db.connect(path, key)
    try:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with db.transaction(conn):
                    conn.execute(
                        "INSERT INTO audit_events (at, action) VALUES (?, 'bench.write')",
                        (int(time.time()),),
                    )
                waits.append(time.perf_counter() - started)
            except db.OperationalError:  # "database is locked": the busy timeout passed
                waits.append(None)
            time.sleep(0.01)
    finally:
        conn.close()


def default_settings(instance: Path) -> dict:
    return config.load(instance)
