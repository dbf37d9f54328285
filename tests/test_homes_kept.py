"""A connection keeps each volunteer's home (homes.volunteer_home) until the store changes
or time alone would change it. Whatever happens between two visits (time passing to the
second, a clock set back, a write on this connection, a commit from another connection
or process), the home must be the one read afresh."""

from __future__ import annotations

import tempfile
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

from helpers.accounts import insert_user
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casework.store import boards, db, homes, migrations
from casework.store import tasks as tasks_store

NOW = 1_800_000_000
HOUR = 3600
DAY = 86400
SHOWN = (3, 4)  # few, so that the lists' limits are reached

task = st.fixed_dictionaries(
    {
        # Hours from now: some two weeks back (debriefs), some started, some ahead.
        "offset": st.integers(-15 * 24, 60),
        "hours": st.integers(1, 24),
        "urgent": st.booleans(),
        "languages": st.sampled_from(("", "es", "fr,es", "ar")),
        "state": st.sampled_from(("open", "open", "staffed", "cancelled", "done")),
        "case_open": st.booleans() | st.just(True),
        "mine": st.booleans(),
        "outcome": st.sampled_from((None, None, "done")),
        "notice": st.sampled_from((None, "unseen", "seen")),
    }
)


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
        starts = NOW + t["offset"] * HOUR
        conn.execute(
            "INSERT INTO tasks (id, token, case_id, kind, starts_at, ends_at, place,"
            " people_needed, languages, urgent, state, outcome, created_at)"
            " VALUES (?, ?, ?, 'hearing', ?, ?, 'Palais', 2, ?, ?, ?, ?, ?)",
            (i, f"t{i}", i, starts, starts + t["hours"] * HOUR, t["languages"],
             int(t["urgent"]), t["state"], t["outcome"], NOW),
        )  # fmt: skip
        if t["mine"]:
            conn.execute(
                "INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (?, 1, ?)",
                (i, NOW),
            )
            if t["notice"]:
                seen = NOW if t["notice"] == "seen" else None
                conn.execute(
                    "INSERT INTO change_notices (task_id, user_id, changes, changed_at, seen_at)"
                    " VALUES (?, 1, 'time', ?, ?)",
                    (i, NOW, seen),
                )


CHANGES = {
    "state": "UPDATE tasks SET state = CASE state WHEN 'open' THEN 'staffed' ELSE 'open' END"
    " WHERE id = ?1",
    "urgent": "UPDATE tasks SET urgent = 1 - urgent WHERE id = ?1",
    "moved": "UPDATE tasks SET starts_at = starts_at + 5 * 3600, ends_at = ends_at + 5 * 3600"
    " WHERE id = ?1",
    "case": "UPDATE cases SET state = CASE state WHEN 'open' THEN 'closed' ELSE 'open' END"
    " WHERE id = ?1",
    "debriefed": "UPDATE tasks SET outcome = CASE WHEN outcome IS NULL THEN 'done' END"
    " WHERE id = ?1",
    "seen": "UPDATE change_notices SET seen_at = CASE WHEN seen_at IS NULL THEN 1 END"
    " WHERE task_id = ?1",
    "taken": "INSERT OR IGNORE INTO assignments (task_id, user_id, assigned_at)"
    " SELECT id, 2, 0 FROM tasks WHERE id = ?1",
    "languages": "UPDATE users SET languages = CASE languages WHEN '' THEN 'es' ELSE '' END"
    " WHERE id = 1 AND ?1 > 0",
}


def _change(conn, task_id: int, what: str) -> None:
    with db.transaction(conn):
        if what != "mine":
            conn.execute(CHANGES[what], (task_id,))
        elif conn.execute("DELETE FROM assignments WHERE task_id = ? AND user_id = 1", (task_id,))\
                .rowcount == 0:  # fmt: skip
            conn.execute(
                "INSERT INTO assignments (task_id, user_id, assigned_at) SELECT id, 1, ? FROM tasks"
                " WHERE id = ?",
                (NOW, task_id),
            )


def _user(conn) -> SimpleNamespace:
    """What the home needs of the person, as each request loads it."""
    languages = conn.execute("SELECT languages FROM users WHERE id = 1").fetchone()[0]
    return SimpleNamespace(id=1, languages=languages)


def _home(conn, now: int, days_end: int) -> tuple:
    home = homes.volunteer_home(conn, _user(conn), now, days_end, SHOWN)
    return _plain(home)


def _fresh(conn, now: int, days_end: int) -> tuple:
    conn.kept.clear()
    return _plain(homes.volunteer_home(conn, _user(conn), now, days_end, SHOWN))


def _plain(home) -> tuple:
    return tuple(
        [tuple(row) for row in value] if isinstance(value, list) else value
        for value in (getattr(home, field.name) for field in fields(home))
    )


def _boundaries(tasks: list[dict], i: int) -> list[int]:
    """The moments at which the task ``i`` comes into or leaves a list."""
    starts = NOW + tasks[i]["offset"] * HOUR
    return [
        starts,
        starts + tasks[i]["hours"] * HOUR,
        starts + boards.DEBRIEF_DAYS * DAY,
        starts + tasks_store.LONGEST,
    ]


def _steps(boundaries: int, changes: tuple[str, ...], *others) -> st.SearchStrategy:
    """What can happen between two visits: time moving (in minutes, set back too), time
    moved to just before, at or just after a moment at which a task enters or leaves a
    list (one of ``boundaries`` per task), a write on this connection or another, a
    visit, and the ``others``."""
    return st.one_of(
        st.tuples(st.just("time"), st.integers(-6 * 60, 30 * 60)),
        st.tuples(
            st.just("to"), st.integers(0, 24), st.integers(0, boundaries - 1), st.integers(-1, 1)
        ),
        st.tuples(
            st.sampled_from(("here", "elsewhere")), st.integers(1, 25), st.sampled_from(changes)
        ),
        *others,
    )


step = _steps(4, (*CHANGES, "mine"), st.tuples(st.just("home")), st.tuples(st.just("midnight")))

PLAIN = {"hours": 2, "urgent": False, "languages": "", "state": "open", "case_open": True,
         "mine": False, "outcome": None, "notice": None}  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Time reaches the end of one's task (and of its notice), then its start plus two weeks.
@example([{**PLAIN, "offset": -1, "mine": True, "notice": "unseen"}], [("to", 0, 1, 0)])
@example([{**PLAIN, "offset": -2, "mine": True}], [("to", 0, 2, 0)])
@example([{**PLAIN, "offset": -1, "mine": True, "state": "staffed"}], [("to", 0, 1, 0)])
# A notice on one's cancelled task: it goes when the task would have ended.
@example([{**PLAIN, "offset": -1, "mine": True, "state": "cancelled", "notice": "unseen"}],
         [("to", 0, 1, 0)])  # fmt: skip
# Midnight: one of tomorrow's tasks is today's now (the home's days end later).
@example([{**PLAIN, "offset": 40, "mine": True, "state": "staffed"}], [("midnight",)])
# One's next task starts: a debrief to write, from then.
@example([{**PLAIN, "offset": 1, "mine": True, "state": "staffed"}], [("to", 0, 0, 0)])
@example([{**PLAIN, "offset": 1, "mine": True, "state": "staffed"}],
         [("to", 0, 0, -1), ("elsewhere", 1, "languages"), ("to", 0, 0, 0)])  # fmt: skip
# The next open task starts; the next urgent one starts.
@example([{**PLAIN, "offset": 1}, {**PLAIN, "offset": 3}], [("to", 0, 0, 0)])
@example([{**PLAIN, "offset": 1, "urgent": True, "state": "staffed"}], [("to", 0, 0, 0)])
# The clock set back; a commit from another connection; a write on this one.
@example([{**PLAIN, "offset": 1}], [("to", 0, 0, 0), ("home",), ("time", -5)])
@example([{**PLAIN, "offset": 1}], [("elsewhere", 1, "taken")])
@example([{**PLAIN, "offset": 1, "mine": True}], [("here", 1, "moved")])
@example([{**PLAIN, "offset": 1, "languages": "es"}], [("elsewhere", 1, "languages")])
@given(
    tasks=st.lists(task, min_size=1, max_size=25),
    steps=st.lists(step, max_size=14),
)
def test_a_kept_home_is_always_the_home_read_afresh(tasks, steps):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.db"
        conn = db.connect(path, None)
        other = db.connect(path, None)  # another thread's connection, or the CLI's
        fresh = db.connect(path, None)
        try:
            _fill(conn, tasks)
            now, days_end = NOW, NOW + 30 * HOUR
            for kind, *args in [("home",), *steps, ("home",)]:
                if kind == "time":
                    now += args[0] * 60
                elif kind == "to":
                    now = _boundaries(tasks, args[0] % len(tasks))[args[1]] + args[2]
                elif kind == "midnight":
                    days_end += DAY
                elif kind != "home":
                    _change(conn if kind == "here" else other, (args[0] - 1) % len(tasks) + 1,
                            args[1])  # fmt: skip
                assert _home(conn, now, days_end) == _fresh(fresh, now, days_end), (kind, now)
        finally:
            fresh.close()
            other.close()
            conn.close()


def test_a_connection_keeps_a_bounded_number_of_homes(monkeypatch):
    monkeypatch.setattr(homes, "HOMES_KEPT", 3)
    conn = db.connect(":memory:", None)
    try:
        _fill(conn, [{**PLAIN, "offset": 1}])
        for user_id in range(1, 6):
            person = SimpleNamespace(id=user_id, languages="")
            homes.volunteer_home(conn, person, NOW, NOW + DAY, SHOWN)
        kept = conn.kept["homes"][1]
        assert [key[0] for key in kept] == [3, 4, 5]  # the oldest went first
    finally:
        conn.close()


def test_a_kept_home_costs_no_read(monkeypatch):
    """The second visit, nothing changed: one look at the store's version, nothing else."""
    conn = db.connect(":memory:", None)
    try:
        _fill(conn, [{**PLAIN, "offset": 1, "mine": True}, {**PLAIN, "offset": 2}])
        person = SimpleNamespace(id=1, languages="")
        first = homes.volunteer_home(conn, person, NOW, NOW + DAY, SHOWN)
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        again = homes.volunteer_home(conn, person, NOW + 60, NOW + DAY, SHOWN)
        conn.set_trace_callback(None)
        assert again is first
        assert statements == ["PRAGMA data_version"]
    finally:
        conn.close()


def test_each_persons_languages_rank_their_own_home():
    """The home is kept for the languages it was ranked with, not only for the person."""
    conn = db.connect(":memory:", None)
    try:
        _fill(conn, [{**PLAIN, "offset": 1}, {**PLAIN, "offset": 2, "languages": "es"}])
        spanish = SimpleNamespace(id=1, languages="es")
        plain = SimpleNamespace(id=1, languages="")
        first = homes.volunteer_home(conn, spanish, NOW, NOW + DAY, SHOWN)
        then = homes.volunteer_home(conn, plain, NOW, NOW + DAY, SHOWN)
        assert [r["token"] for r in first.could_take] == ["t2", "t1"]
        assert [r["token"] for r in then.could_take] == ["t1", "t2"]
    finally:
        conn.close()


# --- the coordinators' board -----------------------------------------------------------
FLAG_DAYS = 10
USERS = (1, 2, 3)  # 1 reads the board (a coordinator who may be going too)

board_task = st.fixed_dictionaries(
    {
        "case": st.integers(0, 5),
        # Hours from now: around the 48-hour mark, and back past the dormant flag.
        "offset": st.integers(-72, 120) | st.integers(-(FLAG_DAYS + 3) * 24, 0),
        "hours": st.integers(1, 24),
        "urgent": st.booleans(),
        "state": st.sampled_from(("open", "open", "staffed", "cancelled", "done")),
        "going": st.sets(st.sampled_from(USERS), max_size=3),
        "notice": st.sampled_from((None, "unseen", "seen")),
        "withdrawn": st.none() | st.integers(-60, 0),  # hours from now
        "follow_up": st.booleans(),
    }
)
case = st.fixed_dictionaries(
    {"changed": st.integers(-(FLAG_DAYS + 3) * 24, 0), "open": st.booleans() | st.just(True)}
)


def _fill_board(conn, cases: list[dict], tasks: list[dict]) -> None:
    migrations.migrate(conn, NOW)
    insert_user(conn, "cora", "coordinator", NOW, id=1)
    insert_user(conn, "bea", "volunteer", NOW, id=2)
    insert_user(conn, "cam", "volunteer", NOW, id=3)
    for i, c in enumerate(cases, start=1):
        conn.execute(
            "INSERT INTO cases (id, code, state, opened_at, changed_at) VALUES (?, ?, ?, ?, ?)",
            (i, f"C{i:011d}", "open" if c["open"] else "closed", NOW, NOW + c["changed"] * HOUR),
        )
    for i, t in enumerate(tasks, start=1):
        starts = NOW + t["offset"] * HOUR
        withdrawn = None if t["withdrawn"] is None else NOW + t["withdrawn"] * HOUR
        conn.execute(
            "INSERT INTO tasks (id, token, case_id, kind, starts_at, ends_at, place,"
            " people_needed, languages, urgent, state, created_at, late_withdrawal_at,"
            " follow_up, debriefed_at, outcome)"
            " VALUES (?, ?, ?, 'hearing', ?, ?, 'Palais', 2, '', ?, ?, ?, ?, ?, ?, ?)",
            (i, f"t{i}", t["case"] % len(cases) + 1, starts, starts + t["hours"] * HOUR,
             int(t["urgent"]), t["state"], NOW, withdrawn, int(t["follow_up"]),
             NOW - i if t["follow_up"] else None, "follow_up" if t["follow_up"] else None),
        )  # fmt: skip
        for user_id in sorted(t["going"]):
            conn.execute(
                "INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (?, ?, ?)",
                (i, user_id, NOW),
            )
            if t["notice"]:
                conn.execute(
                    "INSERT INTO change_notices (task_id, user_id, changes, changed_at, seen_at,"
                    " task_starts_at) VALUES (?, ?, 'time', ?, ?, ?)",
                    (i, user_id, NOW, NOW if t["notice"] == "seen" else None, starts),
                )


BOARD_CHANGES = {
    "state": "UPDATE tasks SET state = CASE state WHEN 'open' THEN 'staffed' ELSE 'open' END"
    " WHERE id = :task",
    "urgent": "UPDATE tasks SET urgent = 1 - urgent WHERE id = :task",
    # A move, as tasks.update makes it: the notices keep their task's start.
    "moved": "UPDATE tasks SET starts_at = starts_at + 5 * 3600, ends_at = ends_at + 5 * 3600"
    " WHERE id = :task; UPDATE change_notices SET task_starts_at = task_starts_at + 5 * 3600"
    " WHERE task_id = :task",
    "case": "UPDATE cases SET state = CASE state WHEN 'open' THEN 'closed' ELSE 'open' END"
    " WHERE id = (SELECT case_id FROM tasks WHERE id = :task)",
    "touched": "UPDATE cases SET changed_at = :now WHERE id = (SELECT case_id FROM tasks"
    " WHERE id = :task)",
    "follow_up": "UPDATE tasks SET follow_up = 1 - follow_up, debriefed_at = 5 WHERE id = :task",
    "withdrawn": "UPDATE tasks SET late_withdrawal_at = :now WHERE id = :task",
    "seen": "UPDATE change_notices SET seen_at = CASE WHEN seen_at IS NULL THEN 1 END"
    " WHERE task_id = :task",
    "taken": "INSERT OR IGNORE INTO assignments (task_id, user_id, assigned_at)"
    " SELECT id, 2, 0 FROM tasks WHERE id = :task",
    "left": "DELETE FROM assignments WHERE task_id = :task AND user_id = 3",
}


def _change_board(conn, task_id: int, what: str) -> None:
    with db.transaction(conn):
        for statement in BOARD_CHANGES[what].split("; "):
            conn.execute(statement, {"task": task_id, "now": NOW})


def _board_boundaries(cases: list[dict], tasks: list[dict], i: int) -> list[int]:
    """The moments at which the task ``i`` (or its case) comes into or leaves a list."""
    t = tasks[i]
    starts = NOW + t["offset"] * HOUR
    withdrawn = NOW + (t["withdrawn"] or 0) * HOUR
    changed = NOW + cases[t["case"] % len(cases)]["changed"] * HOUR
    flag = FLAG_DAYS * DAY
    return [starts, starts - boards.URGENT_WINDOW, starts + t["hours"] * HOUR,
            withdrawn + boards.URGENT_WINDOW, starts + flag, changed + flag]  # fmt: skip


def _board(conn, now: int) -> tuple:
    return _plain(homes.board(conn, 1, now, FLAG_DAYS))


def _fresh_board(conn, now: int) -> tuple:
    conn.kept.clear()
    return _plain(homes.board(conn, 1, now, FLAG_DAYS))


board_step = _steps(6, tuple(BOARD_CHANGES), st.tuples(st.just("board")))

BOARD_PLAIN = {"case": 0, "offset": 1, "hours": 2, "urgent": False, "state": "open",
               "going": set(), "notice": None, "withdrawn": None, "follow_up": False}  # fmt: skip
AWAKE = [{"changed": 0, "open": True}]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A task needing people starts; another comes within 48 hours (just before, at, after).
@example(AWAKE, [BOARD_PLAIN], [("to", 0, 0, 0)])
@example(AWAKE, [{**BOARD_PLAIN, "urgent": True, "offset": 100}, {**BOARD_PLAIN, "offset": 60}],
         [("to", 1, 1, 0), ("board",), ("to", 1, 1, 1)])  # fmt: skip
# 48 hours to the second: from then it comes before the urgent one.
@example(AWAKE, [{**BOARD_PLAIN, "urgent": True, "offset": 100}, {**BOARD_PLAIN, "offset": 48}],
         [("to", 1, 1, 1)])  # fmt: skip
# A late withdrawal's 48 hours end; an unseen change's task starts; one's notice's task ends.
@example(AWAKE, [{**BOARD_PLAIN, "offset": 60, "withdrawn": -1}], [("to", 0, 3, 0)])
@example(AWAKE, [{**BOARD_PLAIN, "state": "staffed", "going": {2}, "notice": "unseen"}],
         [("to", 0, 0, 0)])  # fmt: skip
@example(AWAKE, [{**BOARD_PLAIN, "state": "staffed", "going": {1}, "notice": "unseen",
                  "offset": -1}], [("to", 0, 2, 0)])  # fmt: skip
@example([{"changed": 0, "open": False}], [{**BOARD_PLAIN, "offset": 10, "withdrawn": -1}],
         [("to", 0, 0, 0)])  # fmt: skip
# A case falls dormant: after its last change, after its last task's start.
@example([{"changed": -24, "open": True}], [{**BOARD_PLAIN, "offset": -(FLAG_DAYS + 3) * 24}],
         [("to", 0, 5, 0)])  # fmt: skip
@example([{"changed": -(FLAG_DAYS + 3) * 24, "open": True}],
         [{**BOARD_PLAIN, "offset": -24, "state": "done"}], [("to", 0, 4, 0)])  # fmt: skip
# A commit from another connection; a write on this one.
@example(AWAKE, [{**BOARD_PLAIN, "follow_up": True}], [("elsewhere", 1, "follow_up")])
@example(AWAKE, [BOARD_PLAIN], [("here", 1, "withdrawn")])
@given(
    cases=st.lists(case, min_size=1, max_size=6),
    tasks=st.lists(board_task, min_size=1, max_size=25),
    steps=st.lists(board_step, max_size=14),
)
def test_a_kept_board_is_always_the_board_read_afresh(cases, tasks, steps):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.db"
        conn = db.connect(path, None)
        other = db.connect(path, None)
        fresh = db.connect(path, None)
        try:
            _fill_board(conn, cases, tasks)
            now = NOW
            for kind, *args in [("board",), *steps, ("board",)]:
                if kind == "time":
                    now += args[0] * 60
                elif kind == "to":
                    now = _board_boundaries(cases, tasks, args[0] % len(tasks))[args[1]] + args[2]
                elif kind != "board":
                    _change_board(conn if kind == "here" else other,
                                  (args[0] - 1) % len(tasks) + 1, args[1])  # fmt: skip
                assert _board(conn, now) == _fresh_board(fresh, now), (kind, now)
        finally:
            fresh.close()
            other.close()
            conn.close()


def test_each_dormant_flag_gives_its_own_board():
    """The board is kept for the dormant flag it was read with (the settings can change)."""
    conn = db.connect(":memory:", None)
    try:
        _fill_board(conn, [{"changed": -15 * 24, "open": True}], [{**BOARD_PLAIN, "offset": -360}])
        assert [r["code"] for r in homes.board(conn, 1, NOW, 10).dormant] == ["C00000000001"]
        assert homes.board(conn, 1, NOW, 20).dormant == []
    finally:
        conn.close()
