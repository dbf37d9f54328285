"""What every command shares: the instance, one-line failures, passphrase and key-file options."""

from __future__ import annotations

import functools
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from casework import addresses, clock, config
from casework.cli import messages as m
from casework.cli.messages import EXIT_FAILURE, EXIT_USAGE, Failure, fail, say
from casework.rules.wording import N_
from casework.store import StoreError, WrongKey, invites
from casework.store.db import connect
from casework.vault import control, keys, memory
from casework.vault.store import Store, check_instance

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "Failure", "Instance"]
# Passphrases typed at a terminal: a typo or a refused one is asked again, this often.
TRIES = 3


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


def prepare_instance(instance: Instance, create: bool = False) -> None:
    """Fail in one line on an unusable instance folder; make a missing one (0700) when
    ``create`` and its parent exists. Runs before any prompt."""
    path = instance.path
    if create and not path.exists() and not path.is_symlink():
        if not path.parent.is_dir():
            raise fail(m.NO_PARENT, path=path.parent)
        path.mkdir(mode=0o700)
        say(m.CREATED_FOLDER, err=True, path=path)
    try:
        check_instance(path)
    except StoreError as exc:
        raise Failure(m.explain(exc)) from exc
    warn_if_open(path)


def open_to_others(path: Path) -> bool:
    """Whether the folder, or a file directly in it, gives its group or others any access."""
    try:
        if path.stat().st_mode & 0o077:
            return True
        with os.scandir(path) as entries:
            modes = [entry.stat().st_mode for entry in entries]
        return any(stat.S_ISREG(mode) and mode & 0o077 for mode in modes)
    except OSError:
        return False


def warn_if_open(path: Path) -> None:
    if open_to_others(path):
        say(m.OPEN_FOLDER, err=True, path=path)


passphrase_stdin = click.option(
    "--passphrase-stdin",
    is_flag=True,
    help=N_("Read the passphrase (or the recovery key) as one line of standard input."),
)


def read_passphrase(
    from_stdin: bool, *, new: bool = False, label: str = m.PROMPT_PASSPHRASE
) -> str:
    """Prompt on the terminal (a new passphrase twice, three tries), or read a line."""
    if not from_stdin:
        return _prompt_new(label) if new else _prompt(label)
    line = sys.stdin.readline()
    if not line:
        raise fail(m.NO_STDIN_PASSPHRASE, EXIT_USAGE)
    passphrase = line.rstrip("\r\n")
    if new:
        # An optional second line confirms a new passphrase (a typo would lock the store out).
        again = sys.stdin.readline()
        if again and again.rstrip("\r\n") != passphrase:
            raise fail(m.PASSPHRASES_DIFFER, EXIT_USAGE)
    return passphrase


def _prompt_new(label: str) -> str:
    """A new passphrase: refused or mistyped ones are asked again, at most TRIES times."""
    for attempt in range(1, TRIES + 1):
        passphrase = _prompt(label)
        try:
            keys.check_passphrase(passphrase)
        except keys.KeyProblem as exc:
            problem = m.explain(exc)
        else:
            if _prompt(m.PROMPT_REPEAT) == passphrase:
                return passphrase
            problem = m.text(m.PASSPHRASES_DIFFER)
        if attempt < TRIES:
            say(m.TRY_AGAIN, err=True, problem=problem, left=TRIES - attempt)
    raise fail(m.TOO_MANY_TRIES, EXIT_USAGE)


def _prompt(label: str) -> str:
    return click.prompt(m.text(label), hide_input=True, err=True)


key_file_option = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Open the store with this 32-byte key file instead of a passphrase (unattended)."),
)


def key_file_path(instance: Instance, option: Path | None) -> Path | None:
    """The key file from --key-file, else from config.toml (relative to the instance)."""
    if option is not None:
        path = option.expanduser().resolve()
    elif configured := instance.settings["key_file"]:
        path = instance.path / Path(configured).expanduser()
    else:
        return None
    if not path.parent.is_dir():
        raise fail(m.KEY_FILE_FOLDER, path=path)
    return path


def open_key(instance: Instance, from_stdin: bool, key_file: Path | None = None) -> bytearray:
    """The proven master key: from the key file, or from the operator passphrase or the
    recovery key (one derivation; asked again at a terminal when it does not open the
    store). The process is protected before any key exists.
    """
    memory.protect()
    store = instance.store
    prepare_instance(instance)
    if not store.path.exists():
        raise fail(m.NO_STORE, path=instance.path)
    path = key_file_path(instance, key_file)
    if path is not None:
        key = store.key_from_file(path, instance.kdf_params)
    elif store.keyed_by_key_file and not from_stdin:
        raise fail(m.OPENS_WITH_KEY_FILE)
    else:
        key = _typed_key(store, from_stdin, instance.kdf_params)
    show_recovery_key(store, err=True)  # a store upgraded to key slots just now
    if store.opened is not None:
        store.keyring.touch(store.opened.file, store.opened.slot.id, clock.now())
    return key


def _typed_key(store: Store, from_stdin: bool, params: keys.KdfParams) -> bytearray:
    for attempt in range(1, TRIES + 1):
        try:
            return store.key_for(read_passphrase(from_stdin, label=m.PROMPT_SECRET), params)
        except WrongKey:
            if from_stdin or attempt == TRIES:
                raise
            say(m.TRY_AGAIN, err=True, problem=m.text(m.WRONG_KEY), left=TRIES - attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


def show_recovery_key(store: Store, err: bool = False) -> None:
    """A recovery key made on the way (created, restored, upgraded): shown once."""
    if store.new_recovery_key:
        say_recovery_key(store.new_recovery_key, err=err)
        store.new_recovery_key = None


def say_recovery_key(written: str, err: bool = False) -> None:
    say(m.RECOVERY_KEY_INTRO, err=err)
    say(m.LINK_LINE, err=err, url=written)
    say(m.RECOVERY_KEY_USE, err=err)


def base_url(
    instance: Instance, host: str | None = None, port: int | None = None, scheme: str = "https"
) -> str:
    """The address people open: ``public_url``, else the running server's, else the first
    address this machine would serve on with the given (or configured) host and port."""
    settings = instance.settings
    if settings["public_url"] and scheme == "https":
        return settings["public_url"]
    if host is None and port is None:
        running = control.server_info(instance.path)
        if running is not None:
            return running["url"]
    host, port = host or settings["host"], port or settings["port"]
    return addresses.served_urls(host, port, scheme)[0]


def setup_link(instance: Instance, key: bytearray, base: str) -> str:
    """Create the one-time link for the first coordinator and return its URL."""
    conn = connect(instance.store.path, key)
    try:
        token = invites.create(conn, "setup", "coordinator", clock.now(), invites.SETUP_HOURS)
    finally:
        conn.close()
    return f"{base}/setup/{token}"


def create_store(
    instance: Instance, from_stdin: bool, base: str | None = None, key_file: Path | None = None
) -> bytearray:
    """Make a new store (the folder too, when missing) and print the setup link."""
    memory.protect()
    store = instance.store
    prepare_instance(instance, create=True)
    if store.path.exists() or store.keyring.exists:
        raise fail(m.STORE_EXISTS, path=instance.path)
    path = key_file_path(instance, key_file)
    if path is not None:
        store_key = store.create_with_key_file(path, instance.kdf_params)
    else:
        store_key = store.create(read_passphrase(from_stdin, new=True), instance.kdf_params)
    link = setup_link(instance, store_key, base or base_url(instance))
    say(m.CREATED_STORE, path=instance.path)
    if path is not None:
        say(m.KEY_FILE_WARNING, path=path)
    show_recovery_key(store)
    say(m.SETUP_LINK_INTRO)
    say(m.LINK_LINE, url=link)
    return store_key
