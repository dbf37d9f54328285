"""What every command shares: the instance, one-line failures, passphrase and key-file options."""

from __future__ import annotations

import functools
import ipaddress
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from casework import clock, config
from casework.store import invites
from casework.store.db import connect
from casework.vault import keys, memory
from casework.vault.store import Store

EXIT_FAILURE = 1
EXIT_USAGE = 2


class Failure(Exception):
    """A one-line message for the operator and an exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Instance:
    path: Path

    @functools.cached_property
    def settings(self) -> dict[str, Any]:
        return config.load(self.path)

    @property
    def store(self) -> Store:
        return Store(self.path)

    @property
    def kdf_params(self) -> keys.KdfParams:
        return keys.KdfParams.from_settings(self.settings)


SECRET_LABEL = "Operator passphrase or recovery key"  # noqa: S105  (a prompt)
RECOVERY_NOTICE = (
    "Recovery key (write it down now, keep it in a sealed envelope; it is shown only once):\n"
    "  {key}\n"
    "It opens the store when no coordinator can sign in (the unlock page, or"
    " --passphrase-stdin)."
)

passphrase_stdin = click.option(
    "--passphrase-stdin",
    is_flag=True,
    help="Read the passphrase (or the recovery key) as one line of standard input.",
)


def read_passphrase(from_stdin: bool, *, new: bool = False, label: str = "Store passphrase") -> str:
    """Prompt on the terminal, or read a line; a new passphrase is asked twice."""
    if not from_stdin:
        return click.prompt(label, hide_input=True, confirmation_prompt=new, err=True)
    line = sys.stdin.readline()
    if not line:
        raise Failure("no passphrase on standard input", EXIT_USAGE)
    passphrase = line.rstrip("\r\n")
    if new:
        # An optional second line confirms a new passphrase (a typo would lock the store out).
        again = sys.stdin.readline()
        if again and again.rstrip("\r\n") != passphrase:
            raise Failure("the two passphrases differ", EXIT_USAGE)
    return passphrase


key_file_option = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Open the store with this 32-byte key file instead of a passphrase (unattended).",
)


def key_file_path(instance: Instance, option: Path | None) -> Path | None:
    """The key file from --key-file, else from config.toml (relative to the instance)."""
    if option is not None:
        return option.expanduser().resolve()
    configured = instance.settings["key_file"]
    return (instance.path / Path(configured).expanduser()) if configured else None


def open_key(instance: Instance, from_stdin: bool, key_file: Path | None = None) -> bytearray:
    """The proven master key: from the key file, or from the operator passphrase or the
    recovery key (one derivation). The process is protected before any key exists.
    """
    memory.protect()
    store = instance.store
    if not store.path.exists():
        raise Failure(f"no store in {instance.path}: run `casework init` first")
    path = key_file_path(instance, key_file)
    if path is not None:
        key = store.key_from_file(path, instance.kdf_params)
    elif store.keyed_by_key_file and not from_stdin:
        raise Failure("this store opens with its key file: give --key-file PATH")
    else:
        key = store.key_for(read_passphrase(from_stdin, label=SECRET_LABEL), instance.kdf_params)
    announce_recovery_key(store)
    if store.opened is not None:
        store.keyring.touch(store.opened.file, store.opened.slot.id, clock.now())
    return key


def announce_recovery_key(store: Store) -> None:
    """A recovery key made on the way (a store upgraded to key slots): shown once."""
    if store.new_recovery_key:
        click.echo(RECOVERY_NOTICE.format(key=store.new_recovery_key), err=True)
        store.new_recovery_key = None


def setup_link(
    instance: Instance, key: bytearray, host: str, port: int, scheme: str = "https"
) -> str:
    """Create the one-time link for the first coordinator and return its URL."""
    conn = connect(instance.store.path, key)
    try:
        token = invites.create(conn, "setup", "coordinator", clock.now(), invites.SETUP_HOURS)
    finally:
        conn.close()
    return f"{base_url(instance, host, port, scheme)}/setup/{token}"


def base_url(
    instance: Instance, host: str | None = None, port: int | None = None, scheme: str = "https"
) -> str:
    """The address people open: this machine's name when the server listens everywhere."""
    host = host or instance.settings["host"]
    if host != "localhost" and ipaddress.ip_address(host).is_unspecified:
        host = socket.gethostname()
    return f"{scheme}://{host}:{port or instance.settings['port']}"


def create_store(
    instance: Instance,
    from_stdin: bool,
    host: str,
    port: int,
    scheme: str = "https",
    key_file: Path | None = None,
) -> bytearray:
    memory.protect()
    store = instance.store
    if store.path.exists() or store.keyring.exists:
        raise Failure(f"a store already exists in {instance.path}: refusing to touch it")
    path = key_file_path(instance, key_file)
    if path is not None:
        store_key = store.create_with_key_file(path, instance.kdf_params)
    else:
        store_key = store.create(read_passphrase(from_stdin, new=True), instance.kdf_params)
    link = setup_link(instance, store_key, host, port, scheme)
    click.echo(f"Created an encrypted store in {instance.path}.")
    if path is not None:
        click.echo(f"It opens with the key file {path}: whoever holds that file can read it.")
    click.echo(RECOVERY_NOTICE.format(key=store.new_recovery_key))
    store.new_recovery_key = None
    click.echo("Open this link within 24 hours to create the first coordinator account:")
    click.echo(f"  {link}")
    return store_key
