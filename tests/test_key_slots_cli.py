"""The key-slot commands, on a stopped server and on a running one; a rotation killed at
random moments; the memory protections of every process that holds the key."""

from __future__ import annotations

import json
import random
import re
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers.instance import CHEAP_CONFIG, CHEAP_KDF, PASSPHRASE
from helpers.served import Served

from casework.store import WrongKey
from casework.store.db import connect, integrity_problems, transaction
from casework.vault import keys, memory, slots
from casework.vault.store import Store

WRITTEN = re.compile(r"(?:[2-9A-HJKMNP-Z]{6}-){8}[2-9A-HJKMNP-Z]{6}")


def opens(instance: Path, secret: str) -> bool:
    try:
        keys.wipe(Store(instance).key_for(secret, CHEAP_KDF))
    except (WrongKey, keys.KeyProblem):
        return False
    return True


def test_slots_lists_kinds_and_names_nobody_without_a_secret(run, instance, store_key):
    listed = run("slots")
    assert listed.exit_code == 0, listed.output
    assert "operator passphrase" in listed.output and "recovery key" in listed.output
    assert listed.output.count("\n") == 3  # a heading and two slots


def test_a_new_recovery_key_stops_the_old_one_at_once(run, instance, written_recovery_key):
    made = run("recovery-key", "--new", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert made.exit_code == 0, made.output
    new = WRITTEN.search(made.output).group(0)
    assert new != written_recovery_key
    assert opens(instance, new) and not opens(instance, written_recovery_key)
    assert opens(instance, PASSPHRASE)


def test_every_command_that_opens_the_store_takes_the_recovery_key(
    run, instance, written_recovery_key
):
    assert run("check", "--passphrase-stdin", stdin=written_recovery_key + "\n").exit_code == 0
    typo = ("3" if written_recovery_key[0] != "3" else "4") + written_recovery_key[1:]
    refused = run("check", "--passphrase-stdin", stdin=typo + "\n")
    assert refused.exit_code == 1 and "check the recovery key" in refused.output


def test_rotate_on_a_stopped_server_keeps_every_way_in(run, instance, written_recovery_key):
    before = slots.read(instance / slots.SLOT_FILE)
    done = run("rotate", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert done.exit_code == 0, done.output
    after = slots.read(instance / slots.SLOT_FILE)
    assert after.epoch == before.epoch + 1
    assert [s.id for s in after.slots] == [s.id for s in before.slots]
    assert opens(instance, PASSPHRASE) and opens(instance, written_recovery_key)
    old = slots.open_file(before, slots.operator(PASSPHRASE))
    with pytest.raises(WrongKey):
        connect(instance / "casework.db", old.master)  # an old copy opens nothing


def test_the_last_slot_and_the_last_coordinator_slot_are_not_removed_lightly(
    run, instance, store_key
):
    store = Store(instance)
    store.unlock(bytearray(store_key))
    try:
        coordinator = store.add_slot(slots.coordinator("ash", "a long password"), CHEAP_KDF)
    finally:
        store.lock()
    refused = run("slots", "remove", coordinator.id, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert refused.exit_code == 1 and "last coordinator slot" in refused.output
    forced = run(
        "slots", "remove", coordinator.id, "--force", "--passphrase-stdin",
        stdin=PASSPHRASE + "\n",
    )  # fmt: skip
    assert forced.exit_code == 0, forced.output
    assert [s.kind for s in slots.read(instance / slots.SLOT_FILE).slots] == [
        "operator",
        "recovery",
    ]


def test_demo_makes_three_coordinators_each_with_a_slot_and_prints_the_recovery_key(tmp_path):
    instance = tmp_path / "demo"
    instance.mkdir()
    (instance / "config.toml").write_text(CHEAP_CONFIG)
    done = subprocess.run(
        [sys.executable, "-m", "casework", "--instance", str(instance), "demo", "--json",
         "--passphrase-stdin"],
        input=PASSPHRASE + "\n", capture_output=True, text=True, check=True,
    )  # fmt: skip
    body = json.loads(done.stdout)
    assert WRITTEN.fullmatch(body["recovery_key"])
    coordinators = [a for a in body["accounts"] if a["role"] == "coordinator"]
    assert len(coordinators) >= 3
    file = slots.read(instance / slots.SLOT_FILE)
    assert len(file.of_kind("coordinator")) == len(coordinators)
    for account in coordinators:
        credential = slots.coordinator(account["handle"], account["password"])
        assert slots.open_file(file, credential) is not None


@pytest.mark.slow
def test_rotate_and_remove_through_a_running_server(instance, store_key, tmp_path):
    served = Served(instance, "--no-tls", "--passphrase-stdin", stdin_text=PASSPHRASE + "\n")
    try:
        cli = [sys.executable, "-m", "casework", "--instance", str(instance)]
        epoch = slots.read(instance / slots.SLOT_FILE).epoch
        done = subprocess.run([*cli, "rotate"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert slots.read(instance / slots.SLOT_FILE).epoch == epoch + 1
        made = subprocess.run(
            [*cli, "recovery-key", "--new"], capture_output=True, text=True, check=False
        )
        assert made.returncode == 0 and WRITTEN.search(made.stdout), made.stderr
        health = urllib.request.urlopen(f"http://127.0.0.1:{served.port}/healthz", timeout=10)
        assert health.status == 200  # still serving, under the new key
    finally:
        output = served.stop()
    assert PASSPHRASE not in output


def _ballast(instance: Path, key: bytearray, megabytes: int) -> None:
    conn = connect(instance / "casework.db", key)
    conn.execute("CREATE TABLE ballast (body BLOB)")
    with transaction(conn):
        for _ in range(megabytes * 16):
            conn.execute("INSERT INTO ballast VALUES (?)", (b"x" * 64 * 1024,))
    conn.close()


@pytest.mark.slow
def test_a_rotation_killed_at_any_moment_leaves_a_store_that_opens(
    instance, store_key, written_recovery_key
):
    _ballast(instance, store_key, 16)
    rng = random.Random(12)
    cli = [sys.executable, "-m", "casework", "--instance", str(instance), "rotate"]
    outcomes = []
    for run_number in range(16):
        before = slots.read(instance / slots.SLOT_FILE).epoch
        process = subprocess.Popen(
            [*cli, "--passphrase-stdin"], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        process.stdin.write(f"{PASSPHRASE}\n".encode())
        process.stdin.close()
        pending = instance / slots.PENDING_SLOT_FILE
        if run_number % 2:  # half the runs: kill inside the two-file window
            deadline = time.monotonic() + 10
            while not pending.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.15))
        else:
            time.sleep(rng.uniform(0.05, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        outcomes.append("pending" if pending.exists() else "settled")
        # Opened with the slots from before or after, never neither; the store is whole.
        assert opens(instance, PASSPHRASE), f"run {run_number}"
        assert opens(instance, written_recovery_key), f"run {run_number}"
        assert not pending.exists()  # the first open settles it
        assert slots.read(instance / slots.SLOT_FILE).epoch in (before, before + 1)
    key = Store(instance).key_for(PASSPHRASE, CHEAP_KDF)
    conn = connect(instance / "casework.db", key)
    assert integrity_problems(conn) == []
    assert conn.execute("SELECT count(*) FROM ballast").fetchone()[0] == 16 * 16
    conn.close()
    assert "pending" in outcomes, outcomes


def test_this_process_is_not_dumpable_after_protection():
    done = subprocess.run(
        [sys.executable, "-c",
         "from casework.vault import memory; p = memory.protect();"
         " print(p.dumpable, p.core_limit, open('/proc/self/status').read().count('VmLck'))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    dumpable, core_limit, _ = done.stdout.split()
    assert dumpable == "False" and core_limit == "0"


@pytest.mark.slow
def test_the_server_cannot_dump_core_and_locks_its_memory(instance, store_key):
    served = Served(instance, "--no-tls", "--passphrase-stdin", stdin_text=PASSPHRASE + "\n")
    try:
        limits = Path(f"/proc/{served.process.pid}/limits").read_text()
        core = next(line for line in limits.splitlines() if line.startswith("Max core"))
        assert core.split()[4:6] == ["0", "0"], core
        status = Path(f"/proc/{served.process.pid}/status").read_text()
        locked_kib = int(next(x for x in status.splitlines() if x.startswith("VmLck")).split()[1])
        soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
        if soft == resource.RLIM_INFINITY or soft > 256 * 1024 * 1024:
            assert locked_kib > 0  # the limit allows it here: memory is locked
    finally:
        served.stop()


def test_swap_without_encryption_is_told_apart(tmp_path):
    swaps = tmp_path / "swaps"
    swaps.write_text("Filename Type Size Used Priority\n/dev/vdb partition 1 0 -2\n")
    assert memory.unencrypted_swap(swaps, tmp_path) == ["/dev/vdb"]
    (tmp_path / "dm-0" / "dm").mkdir(parents=True)
    (tmp_path / "dm-0" / "dm" / "uuid").write_text("CRYPT-LUKS2-abc-swap\n")
    swaps.write_text("Filename Type Size Used Priority\n/dev/dm-0 partition 1 0 -2\n")
    assert memory.unencrypted_swap(swaps, tmp_path) == []
