"""When purges run (startup, daily scheduler, CLI) and what coordinators see coming."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import planted as plant
from helpers.instance import PASSPHRASE
from helpers.planted import count, local

from casework.cli import cli
from casework.store import db, migrations, purge_reports, retention
from casework.vault import purges

ROOT = Path(__file__).resolve().parent.parent

DAY = 86_400
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _clean_slate(conn):
    """Forget what the unlock itself did (its purge report, its audit event)."""
    conn.execute("DELETE FROM purge_reports")
    conn.execute("DELETE FROM audit_events")


@pytest.mark.parametrize(
    ("purge_time", "now", "expected"),
    [
        ("03:30", local(2026, 6, 15, 12, 0), local(2026, 6, 16, 3, 30)),
        ("03:30", local(2026, 6, 16, 3, 29), local(2026, 6, 16, 3, 30)),
        ("03:30", local(2026, 6, 16, 3, 30), local(2026, 6, 17, 3, 30)),
        # spring forward: 03:30 EDT comes 2.5 hours after midnight EST
        ("03:30", local(2026, 3, 8, 0, 0), local(2026, 3, 8, 0, 0) + 2 * 3600 + 1800),
        # 02:30 does not exist on 8 March: the run is at 03:30 EDT
        ("02:30", local(2026, 3, 7, 23, 0), local(2026, 3, 8, 3, 30)),
        # fall back: 01:30 happens twice on 1 November; the run is at the first one only
        ("01:30", local(2026, 11, 1, 0, 0), local(2026, 11, 1, 0, 0) + 5400),
        ("01:30", local(2026, 11, 1, 0, 0) + 5400, local(2026, 11, 2, 1, 30)),
        # fall back: 03:30 EST comes 4.5 hours after midnight EDT
        ("03:30", local(2026, 11, 1, 0, 0), local(2026, 11, 1, 0, 0) + 4 * 3600 + 1800),
    ],
)
def test_next_run_is_at_the_local_purge_time(app, purge_time, now, expected):
    settings = {**app.config["CASEWORK"], "retention.purge_time": purge_time}
    assert purges.next_run_after(now, settings) == expected


def _scheduled(app):
    return app.extensions["casework_store"], app.config["CASEWORK"], app.config["CASEWORK_CLOCK"]


def test_scheduler_runs_once_a_day_with_an_injected_clock(app, conn):
    scheduler = purges.PurgeScheduler(*_scheduled(app))
    start = local(2026, 6, 15, 12, 0)
    plant.audit(conn, start - 100 * DAY)
    assert scheduler.run_pending(start) is None
    first = local(2026, 6, 16, 3, 30)
    assert scheduler.next_run == first
    assert scheduler.run_pending(first - 1) is None
    report = scheduler.run_pending(first)
    assert report.counts["audit_events"] == 1
    assert scheduler.run_pending(first + 60) is None
    assert scheduler.next_run == local(2026, 6, 17, 3, 30)
    # A clock jumping days ahead runs once, not once per missed day.
    assert scheduler.run_pending(first + 5 * DAY) is not None
    assert scheduler.run_pending(first + 5 * DAY + 60) is None
    # A clock set back a week brings the next run back with it.
    scheduler.run_pending(first - 7 * DAY - 60)
    assert scheduler.next_run == first - 7 * DAY


def test_scheduler_skips_a_sealed_store(app):
    scheduler = purges.PurgeScheduler(*_scheduled(app))
    scheduler.run_pending(local(2026, 6, 15, 12, 0))
    app.extensions["casework_store"].lock()
    assert scheduler.run_pending(local(2026, 6, 16, 3, 30)) is None
    assert scheduler.next_run == local(2026, 6, 17, 3, 30)


@pytest.mark.slow
def test_scheduler_thread_purges_on_its_own_connection(app, conn):
    due_at = local(2026, 6, 16, 3, 30)
    plant.audit(conn, due_at - 100 * DAY)
    now = [due_at - 1]
    scheduler = purges.PurgeScheduler(*_scheduled(app)[:2], lambda: now[0])
    opened = app.extensions["casework_store"].pool_connections
    scheduler.start()
    time.sleep(0.3)
    now[0] = due_at
    deadline = time.monotonic() + 10
    while scheduler.last_report is None and time.monotonic() < deadline:
        time.sleep(0.05)
    scheduler.stop()
    assert scheduler.last_report.counts["audit_events"] == 1
    assert app.extensions["casework_store"].pool_connections == opened + 1
    assert count(conn, "audit_events") == 0


def test_startup_purge_runs_and_survives_a_refusal(app, conn):
    now, settings = local(2026, 6, 15, 12, 0), app.config["CASEWORK"]
    plant.audit(conn, local(2026, 1, 1, 0, 0))
    with retention.exclusive(retention.store_path(conn)):
        assert purges.purge_logged(conn, now, settings) is None
    report = purges.purge_logged(conn, now, settings)
    assert report.outcome == "done" and report.counts["audit_events"] == 1


def test_upcoming_deletions_per_run(conn, app):
    now = local(2026, 6, 15, 12, 0)
    settings = app.config["CASEWORK"]
    plant.audit(conn, now - 91 * DAY)  # already due: next run
    plant.audit(conn, now - 88 * DAY)  # due in two days
    plant.audit(conn, now - 80 * DAY)  # beyond the week
    plan = purges.upcoming(conn, now, settings)
    assert len(plan) == 7
    assert [run.counts["audit_events"] for run in plan] == [1, 0, 1, 0, 0, 0, 0]
    assert plan[0].run_at == local(2026, 6, 16, 3, 30)


def test_coordinators_see_the_page_and_volunteers_do_not(app, client, accounts, conn):
    accounts.create("keeper", "coordinator")
    accounts.create("walker", "volunteer")
    plant.audit(conn, int(time.time()) - 100 * DAY)
    retention.purge(conn, int(time.time()) - 10, app.config["CASEWORK"])
    plant.audit(conn, int(time.time()) - 100 * DAY)
    accounts.signin("keeper")
    page = client.get("/retention", headers=EN)
    assert page.status_code == 200
    assert "Upcoming deletions" in page.text
    assert "Audit events: 1" in page.text  # the next run, and the past run
    assert page.text.count("Audit events: 1") == 2
    home = client.get("/", headers=EN)
    assert 'href="/retention"' in home.text
    volunteer = app.test_client()
    accounts.signin("walker", client=volunteer)
    assert volunteer.get("/retention", headers=EN).status_code == 404
    assert 'href="/retention"' not in volunteer.get("/", headers=EN).text
    assert app.test_client().get("/retention").status_code == 302


@pytest.fixture
def run(instance, store_key):
    def invoke(*args: str):
        return CliRunner().invoke(
            cli, ["--instance", str(instance), "purge", "--passphrase-stdin", *args],
            input=PASSPHRASE + "\n",
        )  # fmt: skip

    return invoke


def test_cli_purge_json_report(run, app, conn):
    plant.fill(conn, int(time.time()), 100)
    app.extensions["casework_store"].lock()
    dry = run("--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    document = json.loads(dry.output)
    assert document["dry_run"] is True and document["counts"]["audit_events"] == 30
    result = run("--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["dry_run"] is False
    assert document["started_at"].endswith("Z")
    assert document["counts"]["audit_events"] == 30
    assert document["counts"]["sessions"] == 6
    assert document["seconds"] > 0 and document["outcome"] == "done"
    again = run()
    assert again.exit_code == 0
    assert "0 row(s)" in again.output
    assert "…" not in again.output  # no progress lines when not on a terminal


@pytest.mark.slow
def test_cli_purge_is_refused_while_another_runs(run, instance, store_key):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(instance / 'casework.db-purge.lock')!r}, 'w')\n"
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run()
        assert result.exit_code == 1
        assert "another purge is running" in result.output
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert run().exit_code == 0


@pytest.mark.slow
def test_vacuum_waits_for_a_busy_writer_then_reports(app, conn, instance, store_key):
    other = db.connect(instance / "casework.db", store_key)
    plant.fill(conn, local(2026, 6, 15, 12, 0), 200)
    release = threading.Timer(1.2, lambda: other.execute("ROLLBACK"))

    def hold_the_write_lock(step: str) -> None:
        if step == "vacuum" and not other.in_transaction:
            other.execute("BEGIN IMMEDIATE")
            release.start()

    settings = app.config["CASEWORK"]
    try:
        report = retention.purge(
            conn, local(2026, 6, 15, 12, 0), settings, progress=hold_the_write_lock
        )
    finally:
        release.join()
        other.close()
    assert report.outcome == "done", report.problem
    assert report.steps["vacuum"] >= 1.0
    assert (instance / "casework.db-wal").stat().st_size == 0


@pytest.mark.slow
def test_a_vacuum_that_stays_busy_is_reported_not_raised(app, conn, instance, store_key):
    other = db.connect(instance / "casework.db", store_key)
    plant.fill(conn, local(2026, 6, 15, 12, 0), 200)

    def hold(step: str) -> None:
        if step == "vacuum":
            other.execute("BEGIN IMMEDIATE")
        elif step == "final_checkpoint":
            other.execute("ROLLBACK")

    try:
        report = retention.purge(conn, local(2026, 6, 15, 12, 0), app.config["CASEWORK"],
                                 progress=hold)  # fmt: skip
    finally:
        other.close()
    assert report.outcome == "incomplete"
    assert purge_reports.recent(conn)[0].outcome == "incomplete"
    assert "vacuum" in report.problem
    assert report.counts["audit_events"] == 60  # the deletion itself is committed
    assert count(conn, "audit_events WHERE action = 'bulk'") == 140
    follow_up = retention.purge(conn, local(2026, 6, 15, 12, 0), app.config["CASEWORK"])
    assert follow_up.outcome == "done" and follow_up.total == 0


@pytest.mark.slow
def test_cli_shows_the_steps_on_a_terminal(instance, store_key):
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "casework", "--instance", str(instance),
             "purge", "--passphrase-stdin"],
            cwd=ROOT, input=PASSPHRASE + "\n", stdout=follower, stderr=subprocess.PIPE,
            text=True, timeout=60, check=False,
        )  # fmt: skip
        os.close(follower)
        follower = -1
        shown = os.read(leader, 4096).decode()
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert result.returncode == 0, result.stderr
    assert "Purge done" in shown
    steps = [line.strip(" …") for line in result.stderr.splitlines() if "…" in line]
    assert steps == ["delete", "checkpoint", "vacuum", "final checkpoint"]


def _lock_file(app) -> Path:
    return Path(f"{app.extensions['casework_store'].path}-purge.lock")


def test_the_purge_lock_file_is_the_owners_only(app, conn, shell_umask):
    lock = _lock_file(app)
    lock.unlink(missing_ok=True)  # left by the purge at unlock
    assert (
        retention.purge(conn, local(2026, 6, 15, 12, 0), app.config["CASEWORK"]).outcome == "done"
    )
    assert lock.stat().st_mode & 0o777 == 0o600


def test_a_purge_is_refused_while_another_process_holds_the_lock(app, conn):
    now, settings = local(2026, 6, 15, 12, 0), app.config["CASEWORK"]
    plant.audit(conn, now - 100 * DAY)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            f"f = open({str(_lock_file(app))!r}, 'a')\n"
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(retention.PurgeRefused) as refused:
            retention.purge(conn, now, settings)
    finally:
        holder.stdin.close()  # the other purge ends
        holder.wait(timeout=10)
        holder.stdout.close()
    assert str(refused.value) == (
        "another purge is running (another process); try again when it has finished"
    )
    assert count(conn, "audit_events") == 1
    assert retention.purge(conn, now, settings).counts["audit_events"] == 1


def test_a_purge_of_an_in_memory_store_needs_no_lock_file(app, tmp_path, monkeypatch):
    here = tmp_path / "working-directory"
    here.mkdir()
    monkeypatch.chdir(here)
    now = local(2026, 6, 15, 12, 0)
    store = db.connect(":memory:", None)
    try:
        migrations.migrate(store, now)
        plant.audit(store, now - 100 * DAY)
        assert retention.store_path(store) == ""
        report = retention.purge(store, now, app.config["CASEWORK"])
    finally:
        store.close()
    assert report.outcome == "done" and report.counts["audit_events"] == 1
    assert list(here.iterdir()) == []
