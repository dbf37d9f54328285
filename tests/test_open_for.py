"""boards.open_for ranks in SQL; on any data it must agree with the ranking written out
plainly in Python: among the next OPEN_TASK_SCAN open tasks of open cases not already the
volunteer's, urgent first, then a language the volunteer speaks (or none needed), then
anything else; soonest first within each."""

from __future__ import annotations

from helpers.accounts import insert_user
from hypothesis import HealthCheck, given, settings
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
    migrations.migrate(conn, NOW)
    insert_user(conn, "ana", "volunteer", NOW, id=1)
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
    return conn


def _expected(tasks: list[dict], spoken: set[str], limit: int) -> list[str]:
    rows = [
        (NOW + t["offset"] * 3600, i, t)
        for i, t in enumerate(tasks, start=1)
        if t["state"] == "open" and t["case_open"] and not t["mine"] and t["offset"] > 0
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
