"""boards.open_for ranks in SQL; on any data it must agree with the ranking written out
plainly in Python: among the next OPEN_TASK_SCAN open tasks of open cases not already the
volunteer's, urgent first, then a language the volunteer speaks (or none needed), then
anything else; soonest first within each."""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

from helpers.accounts import insert_user
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casework.store import boards, db, migrations

NOW = 1_800_000_000
CODES = ("fr", "en", "es", "ar", "ht", "e", "fra")  # "e" and "fra" catch substring matches

task = st.fixed_dictionaries(
    {
        "offset": st.integers(-3, 40),  # hours from now; some already started
        "urgent": st.booleans(),
        "languages": st.lists(st.sampled_from(CODES), unique=True, max_size=3),
        "state": st.sampled_from(("open", "open", "open", "staffed", "cancelled")),
        "case_open": st.booleans() | st.just(True),
        "mine": st.booleans(),
    }
)


def _store(tasks: list[dict]) -> db.Connection:
    conn = db.connect(":memory:", None)
    _fill(conn, tasks)
    return conn


def _fill(conn, tasks: list[dict]) -> None:
    migrations.migrate(conn, NOW)
    insert_user(conn, "ana", "volunteer", NOW, id=1)
    insert_user(conn, "bea", "volunteer", NOW, id=2)
    for i, t in enumerate(tasks, start=1):
        state = "open" if t["case_open"] else "closed"
        conn.execute(
            "INSERT INTO cases (id, code, state, opened_at, changed_at) VALUES (?, ?, ?, ?, ?)",
            (i, f"C{i:011d}", state, NOW, NOW),
        )
        starts = NOW + t["offset"] * 3600
        conn.execute(
            "INSERT INTO tasks (id, token, case_id, kind, starts_at, ends_at, place,"
            " people_needed, languages, urgent, state, created_at)"
            " VALUES (?, ?, ?, 'hearing', ?, ?, 'Palais', 2, ?, ?, ?, ?)",
            (i, f"t{i}", i, starts, starts + 3600, ",".join(t["languages"]),
             int(t["urgent"]), t["state"], NOW),
        )  # fmt: skip
        if t["mine"]:
            conn.execute(
                "INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (?, 1, ?)",
                (i, NOW),
            )


def _expected(tasks: list[dict], spoken: set[str], limit: int) -> list[str]:
    timed = [{**t, "starts_at": NOW + t["offset"] * 3600} for t in tasks]
    return _expected_at_time(timed, NOW, spoken, limit)


def _expected_at_time(tasks: list[dict], now: int, spoken: set[str], limit: int) -> list[str]:
    rows = [
        (t["starts_at"], i, t)
        for i, t in enumerate(tasks, start=1)
        if t["state"] == "open" and t["case_open"] and not t["mine"] and t["starts_at"] > now
    ]
    window = sorted(rows)[: boards.OPEN_TASK_SCAN]

    def fit(t: dict) -> int:
        needed = set(t["languages"])
        return 1 if not needed else (2 if needed & spoken else 0)

    ranked = sorted(window, key=lambda r: (-r[2]["urgent"], -fit(r[2]), r[0], r[1]))
    return [f"t{i}" for _, i, _ in ranked[:limit]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tasks=st.lists(task, max_size=25),
    spoken=st.lists(st.sampled_from(CODES), unique=True, max_size=3),
    limit=st.integers(1, 12),
)
def test_sql_ranking_matches_the_plain_definition(tasks, spoken, limit):
    conn = _store(tasks)
    try:
        rows = boards.open_for(conn, 1, NOW, ",".join(spoken), limit)
    finally:
        conn.close()
    assert [r["token"] for r in rows] == _expected(tasks, set(spoken), limit)


def test_the_scan_window_bounds_what_is_ranked(monkeypatch):
    """An urgent task beyond the first OPEN_TASK_SCAN open tasks is not pulled forward."""
    monkeypatch.setattr(boards, "OPEN_TASK_SCAN", 3)
    plain = {"urgent": False, "languages": [], "state": "open", "case_open": True, "mine": False}
    tasks = [{**plain, "offset": h} for h in (1, 2, 3)] + [{**plain, "offset": 4, "urgent": True}]
    conn = _store(tasks)
    try:
        rows = boards.open_for(conn, 1, NOW, "", 10)
    finally:
        conn.close()
    assert [r["token"] for r in rows] == ["t1", "t2", "t3"]


# --- what a connection keeps between homes -------------------------------------------
# The next open tasks are read once per change of the store and reused: whatever changes
# between two homes (time, a write on this connection, a commit from another connection
# or process, one's own sign-ups), the list must be the one read afresh.

step = st.one_of(
    st.tuples(st.just("time"), st.integers(-6, 12)),  # hours; a clock set back included
    st.tuples(
        st.sampled_from(("here", "elsewhere")),
        st.integers(1, 25),
        st.sampled_from(
            ("state", "urgent", "languages", "moved", "mine", "case", "people", "taken")
        ),
    ),
    st.tuples(st.just("home"), st.lists(st.sampled_from(CODES), unique=True, max_size=2)),
)


def _change(conn, task_id: int, what: str) -> None:
    changes = {
        "state": "UPDATE tasks SET state = CASE state WHEN 'open' THEN 'staffed' ELSE 'open' END"
        " WHERE id = ?1",
        "urgent": "UPDATE tasks SET urgent = 1 - urgent WHERE id = ?1",
        "languages": "UPDATE tasks SET languages = CASE languages WHEN '' THEN 'es' ELSE '' END"
        " WHERE id = ?1",
        "moved": "UPDATE tasks SET starts_at = starts_at + 5 * 3600, ends_at = ends_at + 5 * 3600"
        " WHERE id = ?1",
        "case": "UPDATE cases SET state = CASE state WHEN 'open' THEN 'closed' ELSE 'open' END"
        " WHERE id = ?1",
        # What only the summary shows: the places, and someone else's sign-up.
        "people": "UPDATE tasks SET people_needed = people_needed % 3 + 1 WHERE id = ?1",
        "taken": "INSERT OR IGNORE INTO assignments (task_id, user_id, assigned_at)"
        " SELECT id, 2, 0 FROM tasks WHERE id = ?1",
    }
    with db.transaction(conn):
        if what != "mine":
            conn.execute(changes[what], (task_id,))
        elif conn.execute("DELETE FROM assignments WHERE task_id = ? AND user_id = 1", (task_id,))\
                .rowcount == 0:  # fmt: skip
            conn.execute(
                "INSERT INTO assignments (task_id, user_id, assigned_at) SELECT id, 1, ? FROM tasks"
                " WHERE id = ?",
                (NOW, task_id),
            )


def _as_now(conn) -> list[dict]:
    """The store's tasks now, as the plain definition reads them."""
    rows = conn.execute(
        "SELECT t.id, t.starts_at, t.urgent, t.languages, t.state, c.state = 'open',"
        " EXISTS (SELECT 1 FROM assignments m WHERE m.task_id = t.id AND m.user_id = 1)"
        " FROM tasks t JOIN cases c ON c.id = t.case_id ORDER BY t.id"
    )
    return [
        {
            "starts_at": row[1], "urgent": bool(row[2]),
            "languages": [code for code in row[3].split(",") if code], "state": row[4],
            "case_open": bool(row[5]), "mine": bool(row[6]),
        }
        for row in rows
    ]  # fmt: skip


def _fresh_summaries(conn, rows) -> list[tuple]:
    """The summaries of the tasks ``rows`` name, read afresh."""
    return [
        tuple(
            conn.execute(
                f"SELECT t.id AS id, {boards._SUMMARY} FROM tasks t WHERE t.token = ?",  # noqa: S608
                (row["token"],),
            ).fetchone()
        )
        for row in rows
    ]


def _urgent_now(conn, now: int) -> int:
    return sum(t["urgent"] and t["state"] == "open" and t["starts_at"] > now for t in _as_now(conn))


PLAIN = {"urgent": False, "languages": [], "state": "open", "case_open": True, "mine": False}
SIX = [{**PLAIN, "offset": hours} for hours in range(1, 7)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A commit from another connection (another thread's, or the command line's).
@example(SIX, [("elsewhere", 6, "urgent")], 150)
# The clock set back between two homes: tasks starting in between were not kept.
@example(SIX, [("time", 3), ("here", 6, "urgent"), ("home", []), ("time", -3)], 150)
# Time uses up what was kept: read again, past it.
@example([{**PLAIN, "offset": h} for h in range(1, 11)], [("time", 3)], 3)
# The urgent count kept: time passes an urgent task's start, then goes back; another
# connection makes a task urgent.
@example([{**PLAIN, "offset": h, "urgent": True} for h in (1, 3)], [("time", 2)], 150)
@example([{**PLAIN, "offset": h, "urgent": True} for h in (1, 3)],
         [("time", 2), ("home", []), ("time", -2)], 150)  # fmt: skip
@example(SIX, [("home", []), ("elsewhere", 2, "urgent")], 150)
# A summary kept: its places changed elsewhere, someone else took one here.
@example(SIX, [("home", []), ("elsewhere", 1, "people")], 150)
@example(SIX, [("home", []), ("here", 1, "taken")], 150)
# One's own tasks are left out: as many more are read.
@example([{**PLAIN, "offset": h, "mine": h <= 3} for h in range(1, 11)], [], 3)
@given(
    tasks=st.lists(task, min_size=1, max_size=25),
    steps=st.lists(step, max_size=14),
    scan=st.sampled_from((3, 6, boards.OPEN_TASK_SCAN)),
)
def test_what_a_connection_keeps_is_always_what_a_fresh_read_gives(tasks, steps, scan):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.db"
        conn = db.connect(path, None)
        other = db.connect(path, None)  # another thread's connection, or the CLI's
        try:
            _fill(conn, tasks)
            now = NOW
            with (
                mock.patch.object(boards, "OPEN_TASK_SCAN", scan),
                mock.patch.object(boards, "OPEN_TASKS_KEPT", scan + 2),
            ):
                for kind, *args in [("home", []), *steps, ("home", ["es"])]:
                    if kind == "time":
                        now += args[0] * 3600
                    elif kind == "home":
                        spoken = set(args[0])
                        rows = boards.open_for(conn, 1, now, ",".join(sorted(spoken)), 12)
                        assert [r["token"] for r in rows] == _expected_at_time(
                            _as_now(conn), now, spoken, 12
                        )
                        assert [tuple(r) for r in rows] == _fresh_summaries(conn, rows)
                        assert boards.urgent_open_count(conn, now) == _urgent_now(conn, now)
                    else:
                        _change(conn if kind == "here" else other, (args[0] - 1) % len(tasks) + 1,
                                args[1])  # fmt: skip
        finally:
            other.close()
            conn.close()
