"""kill -9 during a purge of a large store, at varied moments (SECURITY.md item 18 flavour):
the store stays intact, each batch of the deletion is all or nothing, the run's report
counts what was committed, and the next purge finishes the job."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import planted as plant
from helpers.instance import CHEAP_CONFIG, CHEAP_KDF, PASSPHRASE

from casework import config
from casework.cli import cli
from casework.store import db, retention
from casework.vault.store import Store

ROOT = Path(__file__).resolve().parent.parent
ROWS = 40_000
KILLS = 10
CHILD = """\
import sys, time
from pathlib import Path
from casework import config
from casework.vault import purges
instance = Path(sys.argv[1])
key = bytearray.fromhex(sys.stdin.readline().strip())
report = purges.purge_with_key(
    instance, key, config.load(instance), int(time.time()),
    progress=lambda step: print(step, flush=True),
)
print("end", report.outcome, flush=True)
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, bytearray, int]:
    """A store with ROWS audit events and ROWS/5 sessions, 30% of them past their period."""
    instance = tmp_path_factory.mktemp("template") / "instance"
    instance.mkdir()
    (instance / "config.toml").write_text(CHEAP_CONFIG)
    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    conn = db.connect(instance / "casework.db", key)
    plant.fill(conn, int(time.time()), ROWS)
    purgeable = sum(retention.due(conn, int(time.time()), config.load(instance)).values())
    conn.close()
    return instance, key, purgeable


def start_purge(instance: Path, key: bytearray) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(instance)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    child.stdin.write(bytes(key).hex() + "\n")
    child.stdin.close()
    return child


def wait_for_delete_step(child: subprocess.Popen) -> None:
    assert child.stdout.readline().strip() == "delete"


def still_due(instance: Path, key: bytearray) -> int:
    conn = db.connect(instance / "casework.db", key)
    try:
        return sum(retention.due(conn, int(time.time()), config.load(instance)).values())
    finally:
        conn.close()


def recorded_deletions(instance: Path, key: bytearray, before: int) -> int:
    """What the killed run's report row says it deleted (0 when it had not started)."""
    conn = db.connect(instance / "casework.db", key)
    try:
        row = conn.execute("SELECT counts FROM purge_reports WHERE id > ?", (before,)).fetchone()
        return sum(json.loads(row[0]).values()) if row else 0
    finally:
        conn.close()


def recorded_reports(instance: Path, key: bytearray) -> int:
    conn = db.connect(instance / "casework.db", key)
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM purge_reports").fetchone()[0]
    finally:
        conn.close()


def test_killed_purges_leave_an_intact_store_and_the_next_run_finishes(tmp_path, template):
    source, key, purgeable = template
    assert purgeable == ROWS * 3 // 10 + ROWS // 5 * 3 // 10
    # An uninterrupted run: how long the purge itself takes, from its first step.
    timed = tmp_path / "timed"
    shutil.copytree(source, timed)
    child = start_purge(timed, key)
    wait_for_delete_step(child)
    started = time.monotonic()
    output = child.stdout.read()
    duration = time.monotonic() - started
    child.wait(timeout=60)
    child.stdout.close()
    assert output.split() == ["checkpoint", "vacuum", "final_checkpoint", "end", "done"]
    assert still_due(timed, key) == 0

    states, last_report = [], recorded_reports(source, key)
    for run in range(KILLS):
        instance = tmp_path / f"run{run}"
        shutil.copytree(source, instance)
        child = start_purge(instance, key)
        wait_for_delete_step(child)
        time.sleep(duration * run / KILLS)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        assert child.returncode in (-signal.SIGKILL, 0)

        check = CliRunner().invoke(
            cli, ["--instance", str(instance), "check", "--passphrase-stdin"],
            input=PASSPHRASE + "\n",
        )  # fmt: skip
        assert check.exit_code == 0, (run, check.output)
        assert "ok" in check.output
        left = still_due(instance, key)
        assert 0 <= left <= purgeable, (run, left)
        assert recorded_deletions(instance, key, last_report) == purgeable - left  # it agrees
        states.append(left)

        rerun = CliRunner().invoke(
            cli, ["--instance", str(instance), "purge", "--passphrase-stdin"],
            input=PASSPHRASE + "\n",
        )  # fmt: skip
        assert rerun.exit_code == 0, (run, rerun.output)
        assert still_due(instance, key) == 0
        wal = instance / "casework.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
        shutil.rmtree(instance)
    # Early kills caught the deletion before any batch, later ones part-way or after it.
    assert purgeable in states and any(left < purgeable for left in states), states
