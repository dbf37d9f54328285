"""`casework status`: with no server, a sealed one, one killed and its files left behind,
and the warnings the board shows too (old backup, disk, certificate)."""

from __future__ import annotations

import json
import time

import pytest
from helpers.instance import PASSPHRASE
from helpers.served import Served

from casework.store import backups
from casework.store.db import connect
from casework.vault import health

KEYS = {"running", "sealed", "last_purge", "last_backup", "certificate_expires", "disk_free_bytes"}
DAY = 86400


def status(run, *extra, stdin=None) -> dict:
    result = run("status", "--json", *extra, stdin=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_with_no_server(run, store_key):
    report = status(run)
    assert set(report) >= KEYS
    assert report["running"] is False and report["sealed"] is None
    assert report["store_read"] is False and report["last_backup"] is None
    assert report["disk_free_bytes"] > 0 and report["version"]
    text = run("status").output
    assert "not running" in text and "unknown while the store is locked" in text


def test_a_stale_lock_left_by_a_killed_server(run, instance, store_key):
    (instance / "casework.lock").touch()  # what a killed server leaves: nobody holds them
    (instance / "control.sock").touch()
    report = status(run)
    assert report["running"] is False and report["stale_lock"] is True
    assert "a killed server left" in run("status").output


def test_with_the_key_it_reads_the_last_backup_and_warns_when_old(run, instance, store_key):
    report = status(run, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert report["store_read"] is True and report["last_backup"] is None
    assert "backup_old" not in report["warnings"]  # a store made today needs none yet
    conn = connect(instance / "casework.db", store_key)
    try:
        backups.record(conn, int(time.time()) - 20 * DAY, 1234)
    finally:
        conn.close()
    report = status(run, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert report["last_backup"]["age_days"] == 20
    assert "backup_old" in report["warnings"]
    assert (
        "no backup for 20 days"
        in run("status", "--passphrase-stdin", stdin=PASSPHRASE + "\n").output
    )


def test_a_backup_records_its_time(run, instance, store_key, tmp_path):
    lines = f"{PASSPHRASE}\nthe backup's own passphrase\n"
    assert (
        run("backup", str(tmp_path / "b.backup"), "--passphrase-stdin", stdin=lines).exit_code == 0
    )
    report = status(run, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert report["last_backup"]["age_days"] == 0


@pytest.mark.parametrize(("free", "needs", "too_full"), [(10, 4, False), (3, 4, True)])
def test_the_disk_is_too_full_to_compact_when_free_is_below_twice_the_store(free, needs, too_full):
    state = health.Health(None, None, None, None, free, needs)
    assert state.disk_too_full is too_full


def test_days_without_backup_counts_from_the_store_when_none_was_made():
    now = 100 * DAY
    assert health.Health(None, None, None, now - 3 * DAY, 1, 0).days_without_backup(now) is None
    assert health.Health(None, None, None, now - 15 * DAY, 1, 0).days_without_backup(now) == 15
    assert (
        health.Health(None, None, now - DAY, now - 99 * DAY, 1, 0).days_without_backup(now) is None
    )


@pytest.mark.slow
def test_with_a_sealed_server_then_killed(run, instance, store_key):
    served = Served(instance)
    try:
        report = status(run)
        assert report["running"] is True and report["sealed"] is True
        assert report["url"] == f"https://127.0.0.1:{served.port}"
        assert report["since"] > 0 and report["certificate_expires"] > report["since"]
    finally:
        served.process.kill()  # SIGKILL: the lock and the socket file stay behind
        served.stop()
    report = status(run)
    assert report["running"] is False and report["stale_lock"] is True
