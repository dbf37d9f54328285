"""The command line: help everywhere, one-line errors, and the store never harmed."""

from __future__ import annotations

import hashlib
import re
import socket

import click
import pytest
from click.testing import CliRunner
from helpers.instance import PASSPHRASE

from casework.cli import cli


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


# What starts a help page and its last line, in each language casework speaks.
HELP_WORDS = {
    "en_CA.UTF-8": ("Usage:", "Example:"),
    "fr_CA.UTF-8": ("Utilisation :", "Exemple :"),
    "es_MX.UTF-8": ("Uso:", "Ejemplo:"),
}


@pytest.mark.parametrize("locale", HELP_WORDS)
@pytest.mark.parametrize("command", [(), *all_commands(cli)], ids=" ".join)
def test_every_command_has_help_ending_with_an_example(command, locale):
    result = CliRunner(env={"LANG": locale}).invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    usage, example = HELP_WORDS[locale]
    assert result.output.startswith(usage)
    paragraphs = result.output.split("\n\n")
    text = next(p for p in paragraphs if p.strip().startswith(example))
    assert text.strip().startswith(f"{example} casework")
    others = [words[1] for name, words in HELP_WORDS.items() if name != locale]
    assert not any(word in result.output for word in others)


def test_init_creates_an_encrypted_store_and_a_setup_link(run, instance):
    result = run("init", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert re.search(r"https://\S+/setup/[\w-]{20,}", result.output)
    assert (instance / "casework.db").read_bytes()[:16] != b"SQLite format 3\x00"
    assert PASSPHRASE not in (instance / "store.slots").read_text()
    written = re.search(r"(?:[2-9A-HJKMNP-Z]{6}-){8}[2-9A-HJKMNP-Z]{6}", result.output)
    assert written, "the recovery key is shown once at init"


def test_init_refuses_an_existing_store(run, instance):
    assert run("init", "--passphrase-stdin", stdin=PASSPHRASE + "\n").exit_code == 0
    before = digest(instance / "casework.db")
    result = run("init", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert digest(instance / "casework.db") == before


def test_init_refuses_a_short_passphrase(run, instance):
    result = run("init", "--passphrase-stdin", stdin="short\n")
    assert result.exit_code == 1
    assert "at least 12" in result.output
    assert not (instance / "casework.db").exists()


def test_init_refuses_differing_confirmation(run, instance):
    result = run("init", "--passphrase-stdin", stdin=f"{PASSPHRASE}\n{PASSPHRASE}x\n")
    assert result.exit_code == 2
    assert not (instance / "casework.db").exists()


def test_check_says_ok(run, store_key):
    result = run("check", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_wrong_passphrase_is_one_line_and_changes_nothing(run, instance, store_key):
    before = digest(instance / "casework.db")
    result = run("check", "--passphrase-stdin", stdin="not the passphrase at all\n")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "does not open" in result.output
    assert digest(instance / "casework.db") == before


def test_flipped_byte_is_reported_and_file_unchanged(run, instance, app, accounts):
    for number in range(30):
        accounts.create(f"person{number:02d}")
    app.extensions["casework_store"].lock()
    path = instance / "casework.db"
    data = bytearray(path.read_bytes())
    assert len(data) > 4096 * 4
    data[4096 * 3 + 200] ^= 0x01
    path.write_bytes(bytes(data))
    before = digest(path)
    result = run("check", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 1
    assert "damaged" in result.output
    assert digest(path) == before


def test_missing_instance_folder(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["--instance", str(tmp_path / "nowhere"), "check", "--passphrase-stdin"],
        input=PASSPHRASE + "\n",
    )
    assert result.exit_code == 1
    assert "nowhere" in result.output


def test_instance_path_that_is_a_file(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    result = CliRunner().invoke(
        cli, ["--instance", str(target), "init", "--passphrase-stdin"], input=PASSPHRASE + "\n"
    )
    assert result.exit_code != 0
    assert "not a folder" in result.output


def test_truncated_slot_file(run, instance, store_key):
    before = digest(instance / "casework.db")
    slot_file = instance / "store.slots"
    slot_file.write_bytes(slot_file.read_bytes()[:200])
    result = run("check", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 1
    assert "slot file" in result.output and "damaged" in result.output
    assert digest(instance / "casework.db") == before


def test_invalid_config_exits_2_naming_the_key(run, instance, store_key):
    before = digest(instance / "casework.db")
    (instance / "config.toml").write_text("[retention]\nclosed_case_days = 9000\n")
    result = run("serve", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 2
    assert "retention.closed_case_days" in result.output
    assert digest(instance / "casework.db") == before


def test_port_in_use(run, instance, store_key):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    before = digest(instance / "casework.db")
    try:
        result = run(
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--passphrase-stdin",
            stdin=PASSPHRASE + "\n",
        )
    finally:
        busy.close()
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert digest(instance / "casework.db") == before


def test_no_tls_refused_off_loopback(run, store_key):
    result = run("serve", "--host", "0.0.0.0", "--no-tls", "--passphrase-stdin", stdin="x\n")
    assert result.exit_code == 1
    assert "loopback" in result.output


def test_tls_fingerprint_and_renew(run, instance):
    assert run("tls").exit_code == 1
    first = run("tls", "--renew")
    assert first.exit_code == 0
    fingerprint = re.search(r"([0-9A-F]{2}(?::[0-9A-F]{2}){31})", first.output).group(1)
    assert fingerprint in run("tls").output
    second = run("tls", "--renew")
    assert fingerprint not in second.output
    assert (instance / "tls" / "key.pem").stat().st_mode & 0o077 == 0
