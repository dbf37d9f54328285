"""`casework demo`: a new store filled with synthetic data, its accounts, its query plans."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from helpers.forms import csrf_token
from helpers.instance import PASSPHRASE

from casework import create_app
from casework.cli import cli
from casework.store import boards, cases, db, staffing, tasks
from casework.vault.store import Store


@pytest.fixture
def demo_run(instance):
    result = CliRunner().invoke(
        cli,
        ["--instance", str(instance), "demo", "--json", "--passphrase-stdin"],
        input=f"{PASSPHRASE}\n",
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_fills_a_new_store_and_prints_accounts(instance, demo_run):
    assert demo_run["counts"]["cases"] == 50 and demo_run["counts"]["tasks"] == 250
    roles = [a["role"] for a in demo_run["accounts"]]
    assert roles.count("volunteer") == 20 and roles.count("coordinator") >= 2
    assert all(a["totp_secret"] for a in demo_run["accounts"] if a["role"] == "coordinator")
    key = Store(instance).derive(PASSPHRASE)
    conn = db.connect(instance / "casework.db", key)
    try:
        counts = dict(conn.execute("SELECT state, count(*) FROM cases GROUP BY state").fetchall())
        closed_long_ago = conn.execute(
            "SELECT count(*) FROM cases WHERE closed_at < ?", (time.time() - 30 * 86400,)
        ).fetchone()[0]
        past, future = conn.execute(
            "SELECT sum(starts_at < ?1), sum(starts_at > ?1) FROM tasks", (time.time(),)
        ).fetchone()
    finally:
        conn.close()
    assert counts["open"] > 0 and counts["closed"] > 0
    assert closed_long_ago > 0  # the purge has work
    assert past > 0 and future > 0


def test_a_demo_account_signs_in(instance, demo_run):
    app = create_app(instance, key=Store(instance).derive(PASSPHRASE), tls=False, testing=True)
    try:
        client = app.test_client()
        volunteer = next(a for a in demo_run["accounts"] if a["role"] == "volunteer")
        page = client.get("/signin")
        response = client.post(
            "/signin",
            data={
                "handle": volunteer["handle"],
                "password": volunteer["password"],
                "csrf_token": csrf_token(page),
            },
        )
        assert response.status_code == 302
        assert client.get("/", headers={"Accept-Language": "en"}).status_code == 200
    finally:
        app.extensions["casework_store"].lock()


def test_demo_refuses_an_existing_store(instance, store_key):
    before = (instance / "casework.db").read_bytes()
    result = CliRunner().invoke(
        cli, ["--instance", str(instance), "demo", "--passphrase-stdin"], input=f"{PASSPHRASE}\n"
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (instance / "casework.db").read_bytes() == before


class PlanSpy:
    """A connection stand-in that records the query plan of every SELECT."""

    def __init__(self, conn) -> None:
        self.conn, self.plans = conn, []

    def __getattr__(self, name: str):
        return getattr(self.conn, name)  # what a connection keeps, its version

    def execute(self, sql, params=()):
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plan = [row[3] for row in self.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            self.plans.append((sql, plan))
        return self.conn.execute(sql, params)


def test_hot_pages_use_indexes_not_full_scans(instance, demo_run):
    conn = db.connect(instance / "casework.db", Store(instance).derive(PASSPHRASE))
    try:
        spy, now = PlanSpy(conn), int(time.time())
        volunteer = conn.execute(
            "SELECT id, languages FROM users WHERE role = 'volunteer'"
        ).fetchone()
        case = conn.execute("SELECT id, code FROM cases").fetchone()
        token = conn.execute("SELECT token FROM tasks WHERE starts_at > ?", (now,)).fetchone()[0]
        boards.needs_people(spy, now)
        boards.follow_ups(spy)
        boards.dormant_cases(spy, now, 60)
        boards.my_next_tasks(spy, volunteer[0], now)
        boards.open_for(spy, volunteer[0], now, volunteer[1], 20)
        boards.urgent_open_count(spy, now)
        boards.week(spy, now, now + 7 * 86400, None)
        boards.week(spy, now, now + 7 * 86400, volunteer[0])
        cases.by_code(spy, case["code"])
        cases.tasks_of(spy, case["id"])
        staffing.suggestions(spy, tasks.by_token(spy, token), now, "America/Montreal")
    finally:
        conn.close()
    assert len(spy.plans) >= 15
    for sql, plan in spy.plans:
        for step in plan:
            # Only the people list for suggestions may read a whole (small) table; the
            # constant rows are the few tasks open_for chose, given as VALUES.
            if step.startswith("SCAN") and "INDEX" not in step:
                chosen = step == "SCAN chosen" or step.endswith(" CONSTANT ROWS")
                assert step == "SCAN u" or chosen, (sql, plan)
