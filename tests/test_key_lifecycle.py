"""Key files, passphrase rotation (killed at random moments), and `casework lock`."""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.instance import PASSPHRASE
from helpers.served import Served

from casework.store import WrongKey
from casework.store.db import connect, integrity_problems, transaction
from casework.vault import keys, slots
from casework.vault.store import Store

NEW_PASSPHRASE = "a completely different passphrase"
CASEWORK = (sys.executable, "-m", "casework")
LOCAL = ("--host", "127.0.0.1", "--port")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def opens_with(instance: Path, passphrase: str) -> bool:
    store = Store(instance)
    try:
        key = store.key_for(passphrase)
        store.prove(key)
    except WrongKey:
        return False
    keys.wipe(key)
    return True


# Key files -----------------------------------------------------------------------------


def test_init_with_a_key_file_creates_it_and_asks_no_passphrase(run, instance, tmp_path):
    key_file = tmp_path / "usb" / "store.key"
    key_file.parent.mkdir()
    result = run("init", "--key-file", str(key_file), stdin="")
    assert result.exit_code == 0, result.output
    assert key_file.stat().st_size == 32 and key_file.stat().st_mode & 0o077 == 0
    assert Store(instance).keyed_by_key_file
    assert run("check", "--key-file", str(key_file)).exit_code == 0
    # No passphrase prompt for a key-file store: a clear refusal instead.
    refused = run("check", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert refused.exit_code == 1 and "key file" in refused.output


def test_key_file_from_config_relative_to_the_instance(run, instance):
    (instance / "config.toml").write_text(
        (instance / "config.toml").read_text().replace("[kdf]", 'key_file = "k.key"\n[kdf]')
    )
    assert run("init").exit_code == 0
    assert (instance / "k.key").stat().st_size == 32
    assert run("check").exit_code == 0


@pytest.mark.parametrize(
    ("size", "mode", "reason"),
    [(31, 0o600, "exactly 32 bytes"), (33, 0o600, "exactly 32 bytes"), (32, 0o644, "chmod 600")],
)
def test_bad_key_file_is_refused_with_the_reason(run, instance, tmp_path, size, mode, reason):
    key_file = tmp_path / "store.key"
    assert run("init", "--key-file", str(key_file)).exit_code == 0
    before = digest(instance / "casework.db")
    key_file.write_bytes(os.urandom(size))
    key_file.chmod(mode)
    result = run("check", "--key-file", str(key_file))
    assert result.exit_code == 1
    assert reason in result.output
    assert digest(instance / "casework.db") == before


def test_wrong_key_file_changes_nothing(run, instance, tmp_path, store_key):
    other = tmp_path / "other.key"
    keys.write_key_file(other)
    before = digest(instance / "casework.db")
    result = run("check", "--key-file", str(other))
    assert result.exit_code == 1 and "does not open" in result.output
    assert digest(instance / "casework.db") == before


# Rekey -------------------------------------------------------------------------------


def test_rekey_replaces_the_operator_slot(run, instance, store_key):
    before = slots.read(instance / "store.slots")
    result = run("rekey", "--passphrase-stdin", stdin=f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    after = slots.read(instance / "store.slots")
    assert after.epoch == before.epoch + 1
    assert [s.id for s in after.of_kind("operator")] != [s.id for s in before.of_kind("operator")]
    assert [s.id for s in after.of_kind("recovery")] == [s.id for s in before.of_kind("recovery")]
    assert opens_with(instance, NEW_PASSPHRASE)
    assert not opens_with(instance, PASSPHRASE)
    conn = connect(instance / "casework.db", Store(instance).key_for(NEW_PASSPHRASE))
    assert integrity_problems(conn) == []
    conn.close()


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (f"not the passphrase at all\n{NEW_PASSPHRASE}\n", "does not open"),
        (f"{PASSPHRASE}\nshort\n", "at least 12"),
        (f"{PASSPHRASE}\n{PASSPHRASE}\n", "same as the current"),
    ],
)
def test_rekey_refusals_leave_the_files_unchanged(run, instance, store_key, stdin, message):
    before = digest(instance / "casework.db"), digest(instance / "store.slots")
    result = run("rekey", "--passphrase-stdin", stdin=stdin)
    assert result.exit_code == 1
    assert message in result.output and result.output.count("\n") == 1
    assert (digest(instance / "casework.db"), digest(instance / "store.slots")) == before
    assert opens_with(instance, PASSPHRASE)


def _fill(instance: Path, key: bytearray, megabytes: int) -> None:
    conn = connect(instance / "casework.db", key)
    conn.execute("CREATE TABLE ballast (body BLOB)")
    with transaction(conn):
        for _ in range(megabytes * 16):
            conn.execute("INSERT INTO ballast VALUES (?)", (os.urandom(64 * 1024),))
    conn.close()


def _start_rekey(instance: Path, current: str, new: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [*CASEWORK, "--instance", str(instance), "rekey", "--passphrase-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process.stdin.write(f"{current}\n{new}\n".encode())
    process.stdin.close()
    return process


@pytest.mark.slow
def test_rekey_killed_at_any_moment_still_opens_with_one_passphrase(instance, store_key):
    _fill(instance, store_key, 8)
    rng = random.Random(6)
    current, other = PASSPHRASE, NEW_PASSPHRASE
    outcomes = []
    for run_number in range(15):
        process = _start_rekey(instance, current, other)
        time.sleep(rng.uniform(0.1, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        old_opens, new_opens = opens_with(instance, current), opens_with(instance, other)
        assert old_opens != new_opens, f"run {run_number}: old {old_opens}, new {new_opens}"
        outcomes.append("new" if new_opens else "old")
        if new_opens:
            current, other = other, current
    key = Store(instance).key_for(current)
    conn = connect(instance / "casework.db", key)
    assert integrity_problems(conn) == []
    assert conn.execute("SELECT count(*) FROM ballast").fetchone()[0] == 8 * 16
    conn.close()
    assert "new" in outcomes and "old" in outcomes, outcomes


def test_rekey_refuses_while_a_server_holds_the_instance(run, instance, store_key):
    from casework.vault import control

    held = control.claim(instance)
    try:
        result = run("rekey", "--passphrase-stdin", stdin=f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n")
    finally:
        os.close(held)
    assert result.exit_code == 1 and "stop it first" in result.output
    assert opens_with(instance, PASSPHRASE)


# Serving sealed, and `casework lock` ---------------------------------------------------


def _serve(instance: Path, *args: str, stdin: str = "") -> Served:
    return Served(instance, "--no-tls", *args, stdin_text=stdin)


def _status(port: int) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/signin")
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.slow
def test_serve_without_a_passphrase_starts_sealed_and_casework_lock_locks(run, instance, store_key):
    sealed = _serve(instance)
    try:
        assert any("locked" in line for line in sealed.lines), sealed.lines
        assert _status(sealed.port) == 503
    finally:
        sealed.stop()
    unlocked = _serve(instance, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    try:
        assert _status(unlocked.port) == 200
        sock = instance / "control.sock"
        assert sock.stat().st_mode & 0o777 == 0o600
        result = run("lock")
        assert result.exit_code == 0, result.output
        assert _status(unlocked.port) == 503
        # A restore while this server runs is refused and changes nothing.
        before = digest(instance / "casework.db")
        refused = run("restore", "--force", "--passphrase-stdin", str(instance / "x"), stdin="")
        assert refused.exit_code == 1 and "stop it first" in refused.output
        assert digest(instance / "casework.db") == before
    finally:
        unlocked.stop()
    assert not (instance / "control.sock").exists()


@pytest.mark.slow
def test_casework_unlock_from_the_command_line(run, instance, store_key):
    sealed = _serve(instance)
    try:
        assert _status(sealed.port) == 503
        wrong = run("unlock", "--passphrase-stdin", stdin="not the passphrase at all\n")
        assert wrong.exit_code == 1 and "does not open" in wrong.output
        assert _status(sealed.port) == 503
        result = run("unlock", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
        assert result.exit_code == 0, result.output
        assert _status(sealed.port) == 200
        assert PASSPHRASE not in "".join(sealed.lines)
    finally:
        sealed.stop()


def test_casework_lock_without_a_server(run, instance, store_key):
    result = run("lock")
    assert result.exit_code == 1
    assert "no casework server is running" in result.output


@pytest.mark.slow
def test_serve_init_with_piped_passphrases_starts_unlocked(instance):
    served = _serve(instance, "--init", "--passphrase-stdin", stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    try:
        assert any(re.search(r"/setup/", line) for line in served.lines)
        assert _status(served.port) == 200
    finally:
        served.stop()
