"""SECURITY.md item 18: kill -9 during concurrent writes, 30 times.

After every kill: integrity_check ok, cipher_integrity_check empty, every acknowledged
write present in full, and no write half there (each is one transaction of ROWS rows).
The same store lives through all the rounds, as a real one would through crashes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers.instance import CHEAP_KDF, PASSPHRASE
from helpers.kill_writer import ROWS

from casework.store import db
from casework.vault.store import Store

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).resolve().parent / "helpers" / "kill_writer.py"
ROUNDS = 30
THREADS = 4

pytestmark = pytest.mark.slow


def run_and_kill(instance: Path, key: bytearray, acks: Path, delay: float) -> int:
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(instance), str(acks), str(THREADS)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    child.stdin.write(bytes(key).hex() + "\n")
    child.stdin.close()
    assert child.stdout.readline().strip() == "writing"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    return child.returncode


def acknowledged(acks: Path) -> set[str]:
    return {line for path in acks.iterdir() for line in path.read_text().splitlines() if line}


def written(instance: Path, key: bytearray) -> tuple[list[str], Counter]:
    conn = db.connect(instance / "casework.db", key)
    try:
        problems = db.integrity_problems(conn)
        rows = conn.execute("SELECT target FROM audit_events WHERE action = 'kill.write'")
        return problems, Counter(row[0].split(":", 1)[0] for row in rows)
    finally:
        conn.close()


def test_kill_9_during_concurrent_writes_loses_no_acknowledged_write(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    acks = tmp_path / "acks"
    acks.mkdir()
    started = time.monotonic()
    for round_number in range(ROUNDS):
        # Kills from right after the connections open to a few hundred writes in.
        delay = 0.01 + 0.3 * ((round_number * 7) % ROUNDS) / ROUNDS
        assert run_and_kill(instance, key, acks, delay) == -signal.SIGKILL
        problems, counts = written(instance, key)
        assert problems == [], (round_number, problems)
        missing = acknowledged(acks) - set(counts)
        assert not missing, (round_number, sorted(missing)[:5])
        partial = {write: n for write, n in counts.items() if n != ROWS}
        assert not partial, (round_number, partial)
    total = len(acknowledged(acks))
    print(f"{total} acknowledged writes; {len(counts)} present after {ROUNDS} kills")
    assert total > ROUNDS * THREADS, total  # the writers really wrote, in every round
    assert time.monotonic() - started < 60
