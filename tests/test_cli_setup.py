"""A first day at the command line: folders made or refused in one line before any prompt,
files readable by their owner only, a mistyped passphrase asked again at a terminal."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from helpers.instance import PASSPHRASE
from helpers.served import free_port

from casework.cli import cli
from casework.store.db import connect
from casework.vault.store import Store

LINES = f"{PASSPHRASE}\n" * 4
# Every command, with the arguments it needs to get as far as the instance folder.
COMMANDS = {
    "init": ["--passphrase-stdin"],
    "serve": ["--host", "127.0.0.1", "--port", "{port}", "--passphrase-stdin"],
    "unlock": ["--passphrase-stdin"],
    "lock": [],
    "check": ["--passphrase-stdin"],
    "purge": ["--passphrase-stdin"],
    "rekey": ["--passphrase-stdin"],
    "backup": ["{tmp}/copy.backup", "--passphrase-stdin"],
    "restore": ["{tmp}/none.backup", "--passphrase-stdin"],
    "invite": ["--role", "volunteer", "--passphrase-stdin"],
    "tls": [],
    "status": [],
    "demo": ["--passphrase-stdin"],
    "slots": [],
    "rotate": ["--passphrase-stdin"],
    "recovery-key": ["--new", "--passphrase-stdin"],
}
# These make a missing instance folder (the parent exists): they succeed, tested below.
CREATORS = {"init", "demo"}
KINDS = ["missing", "file", "unreadable", "missing parent"]
AS_ROOT = os.geteuid() == 0
# Root reads every folder through these capabilities: without them, mode 000 holds.
SETPRIV = "/usr/bin/setpriv"
WITHOUT_BYPASS = [SETPRIV, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def invoke(target, command: str, tmp_path, stdin: str = LINES):
    extra = [a.format(tmp=tmp_path, port=free_port()) for a in COMMANDS[command]]
    return CliRunner().invoke(cli, ["--instance", str(target), command, *extra], input=stdin)


def invoke_without_bypass(target, command: str, tmp_path, stdin: str = LINES):
    """As root: the command in a process that cannot bypass file permissions."""
    if not shutil.which(SETPRIV):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SETPRIV} (util-linux) is needed to test an unreadable folder as root")
        pytest.skip(f"as root, an unreadable folder needs {SETPRIV} (util-linux) to test")
    extra = [a.format(tmp=tmp_path, port=free_port()) for a in COMMANDS[command]]
    args = [*WITHOUT_BYPASS, sys.executable, "-m", "casework", "--instance", str(target)]
    done = subprocess.run(
        [*args, command, *extra], input=stdin, capture_output=True, text=True, timeout=60
    )
    return SimpleNamespace(exit_code=done.returncode, output=done.stdout + done.stderr)


def bad_instance(kind: str, tmp_path):
    if kind == "missing":
        return tmp_path / "missing"
    if kind == "missing parent":
        return tmp_path / "no-such-parent" / "instance"
    if kind == "file":
        target = tmp_path / "a-file"
        target.write_text("not a folder")
        return target
    target = tmp_path / "closed"
    target.mkdir(mode=0o000)
    return target


def test_the_table_names_every_command():
    assert set(COMMANDS) == set(cli.commands)


def bad_folder_cases():
    """Every command with every kind of bad folder, but a missing one for the commands that
    make it (tested below)."""
    for command in sorted(COMMANDS):
        for kind in KINDS:
            if kind == "missing" and command in CREATORS:
                continue
            slow = kind == "unreadable" and AS_ROOT  # a subprocess each
            yield pytest.param(command, kind, marks=[pytest.mark.slow] if slow else [])


def test_the_unreadable_folder_is_unreadable_to_the_command(tmp_path):
    target = bad_instance("unreadable", tmp_path)
    run = invoke_without_bypass if AS_ROOT else invoke
    result = run(target, "status", tmp_path)
    assert result.exit_code == 1
    assert result.output.strip() == f"casework: the instance folder {target} cannot be read"


@pytest.mark.parametrize(("command", "kind"), list(bad_folder_cases()))
def test_a_bad_instance_folder_is_one_line_and_a_failure(command, kind, tmp_path):
    target = bad_instance(kind, tmp_path)
    run = invoke_without_bypass if kind == "unreadable" and AS_ROOT else invoke
    result = run(target, command, tmp_path)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert lines and lines[-1].startswith("casework: "), result.output
    assert len([line for line in lines if line.startswith("casework: ")]) == 1, result.output
    assert not (tmp_path / "no-such-parent").exists()


def test_the_demo_bar_makes_a_new_folder_0700(tmp_path):
    """`casework --instance NEW demo --scale small --json --passphrase-stdin`."""
    new = tmp_path / "NEW"
    args = ["--instance", str(new), "demo", "--scale", "small", "--json", "--passphrase-stdin"]
    result = CliRunner().invoke(cli, args, input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["cases"] == 50
    assert stat.S_IMODE(new.stat().st_mode) == 0o700


def test_init_makes_a_missing_folder_and_every_file_is_the_owners_only(tmp_path, shell_umask):
    new = tmp_path / "fresh"
    result = CliRunner().invoke(
        cli, ["--instance", str(new), "init", "--passphrase-stdin"], input=PASSPHRASE + "\n"
    )
    assert result.exit_code == 0, result.output
    backup = tmp_path / "copy.backup"
    os.umask(0o022)  # the first command set 077 in this process: back to the shell's
    result = CliRunner().invoke(
        cli,
        ["--instance", str(new), "backup", str(backup), "--passphrase-stdin"],
        input=f"{PASSPHRASE}\nanother long backup passphrase\n",
    )
    assert result.exit_code == 0, result.output
    key = Store(new).key_for(PASSPHRASE)
    conn = connect(new / "casework.db", key)  # -wal and -shm exist while it is open
    try:
        conn.execute("CREATE TABLE probe (x)")
        files = [p for p in new.rglob("*") if p.is_file()] + [backup]
        assert {p.name for p in files} >= {"casework.db", "casework.db-wal", "casework.db-shm",
                                           "store.slots", "copy.backup"}  # fmt: skip
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {
            p.name: 0o600 for p in files
        }
    finally:
        conn.close()
    assert stat.S_IMODE(new.stat().st_mode) == 0o700


def test_a_folder_others_can_read_is_reported_with_the_fix(run, instance):
    instance.chmod(0o755)
    result = run("status")
    assert f"chmod -R go= {instance}" in result.output
    instance.chmod(0o700)
    (instance / "config.toml").chmod(0o644)
    assert "chmod -R go=" in run("status").output
    (instance / "config.toml").chmod(0o600)
    assert "chmod" not in run("status").output


def test_a_key_file_in_a_missing_folder_is_one_line(run, instance, tmp_path):
    result = run("init", "--key-file", str(tmp_path / "nowhere" / "k.key"))
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "nowhere" in result.output and not (instance / "casework.db").exists()


@pytest.mark.parametrize(
    "typed",
    [
        ["short", PASSPHRASE, PASSPHRASE],  # refused by the policy, then right
        [PASSPHRASE, PASSPHRASE + "x", PASSPHRASE, PASSPHRASE],  # mistyped, then right
    ],
    ids=["too short", "mistyped"],
)
def test_a_terminal_asks_a_new_passphrase_again(run, instance, typed):
    result = run("init", stdin="".join(f"{t}\n" for t in typed))
    assert result.exit_code == 0, result.output
    assert "try again (2 left)" in result.output
    assert Store(instance).key_for(PASSPHRASE)


def test_three_failed_tries_stop_and_create_nothing(run, instance):
    result = run("init", stdin="short\nshorter\ntiny\n")
    assert result.exit_code == 2
    assert "three tries" in result.output
    assert not (instance / "casework.db").exists()


def test_a_terminal_asks_a_wrong_passphrase_again(run, store_key):
    result = run("check", stdin=f"not the passphrase at all\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    assert "does not open this store: try again" in result.output
    wrong = "not the passphrase at all\n" * 3
    result = run("check", stdin=wrong)
    assert result.exit_code == 1
    assert result.output.count("try again") == 2
