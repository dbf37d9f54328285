"""Commands of the key lifecycle: lock a running server, change the passphrase, back up
and restore. Registered on the `casework` group by cli.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from casework import clock
from casework.cli import i18n
from casework.cli import messages as m
from casework.cli.common import (
    Instance,
    key_file_option,
    key_file_path,
    open_key,
    passphrase_stdin,
    prepare_instance,
    read_passphrase,
    show_recovery_key,
)
from casework.cli.messages import fail, say
from casework.rules.wording import N_
from casework.store import backups as backup_records
from casework.store.db import connect
from casework.store.migrations import migrate
from casework.vault import backup as backups
from casework.vault import control, keys, purges
from casework.vault.rekey import change_passphrase
from casework.vault.store import check_instance


def _steps(total: int):
    """Step lines on a terminal ("2/4 copying the store"), nothing when piped."""
    count = 0

    def step(what: str) -> None:
        nonlocal count
        count += 1
        if sys.stdout.isatty():
            say(m.STEP, count=min(count, total), total=total, what=m.text(what))

    return step


@i18n.command()
@click.pass_obj
def lock(instance: Instance) -> None:
    """Lock the server running on this instance now: its key is overwritten in memory,
    every connection closed and every session ended.

    Works only on the same machine, as the user the server runs as (through the socket
    control.sock in the instance folder, mode 0600).

    Example: casework lock
    """
    answer = control.send(instance.path, "lock")
    if answer == "locked":
        say(m.LOCKED)
        return
    left = answer.removeprefix("locked; sessions not ended: ")
    if left == answer:
        raise fail(m.DID_NOT_LOCK, answer=answer)
    # Sealed all the same: the sessions in the store are unusable now and end at unlock.
    say(m.LOCKED_SESSIONS_LEFT, problem=left)


@i18n.command()
@passphrase_stdin
@click.pass_obj
def unlock(instance: Instance, passphrase_stdin: bool) -> None:
    """Unlock the sealed server running on this instance with the operator passphrase or
    the recovery key.

    For operators on the machine itself (through control.sock, mode 0600), e.g. after a
    reboot: the same as the unlock page, throttled the same way, and the purge runs first.

    Example: casework unlock
    """
    secret = read_passphrase(passphrase_stdin, label=m.PROMPT_SECRET)
    answer = control.send(instance.path, "unlock", secret)
    messages = {
        "wrong": m.UNLOCK_WRONG,
        "busy": m.UNLOCK_BUSY,
        "typo": m.UNLOCK_TYPO,
        "disk full": m.UNLOCK_DISK_FULL,
    }
    if answer.startswith("wait "):
        raise fail(m.UNLOCK_WAIT, seconds=answer.split()[1])
    if answer != "unlocked":
        raise fail(messages.get(answer, m.UNLOCK_ANSWER), answer=answer)
    say(m.UNLOCKED)


@i18n.command()
@passphrase_stdin
@click.pass_obj
def rekey(instance: Instance, passphrase_stdin: bool) -> None:
    """Change the operator passphrase (its key slot; the master key stays the same).

    With --passphrase-stdin: the current passphrase (or the recovery key) on the first
    line, the new one on the second. Safe to interrupt: the store then opens with the old
    or the new passphrase. Stop the server first. A copy of the old slot file still opens
    with the old passphrase: `casework rotate` makes old copies useless.

    Example: casework rekey
    """
    store = instance.store
    params = instance.kdf_params
    with control.exclusive(_existing(instance)):
        current = read_passphrase(passphrase_stdin, label=m.PROMPT_CURRENT)
        new = read_passphrase(passphrase_stdin, new=True, label=m.PROMPT_NEW)
        change_passphrase(store, current, new, params, _steps(4))
    say(m.REKEYED)


@i18n.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@passphrase_stdin
@key_file_option
@click.pass_obj
def backup(instance: Instance, path: Path, passphrase_stdin: bool, key_file) -> None:
    """Write an encrypted copy of the store to PATH, under its own backup passphrase.

    With --passphrase-stdin: the store passphrase on the first line (none with a key
    file), then the backup passphrase. Refuses to overwrite an existing file.

    Example: casework backup /media/usb/casework-2024-05-01.backup
    """
    path = path.expanduser().resolve()
    if path.exists():
        raise fail(m.BACKUP_EXISTS, path=path)
    if not path.parent.is_dir():
        raise fail(m.FOLDER_MISSING, path=path.parent)
    store_key = open_key(_existing_instance(instance), passphrase_stdin, key_file)
    try:
        secret = read_passphrase(passphrase_stdin, new=True, label=m.PROMPT_BACKUP)
        step = _steps(3)
        backups.write_backup(
            instance.store.path, store_key, path, secret, instance.kdf_params, step
        )
        _record_backup(instance, store_key, path)
        step(m.STEP_DONE)
    finally:
        keys.wipe(store_key)
    say(m.BACKUP_WRITTEN, path=path)
    say(m.BACKUP_ADVICE)


def _record_backup(instance: Instance, store_key: bytearray, path: Path) -> None:
    """Remember the backup's time in the store (after it is written: a failed one is not
    a backup), for `casework status` and the board."""
    conn = connect(instance.store.path, store_key)
    try:
        migrate(conn, clock.now())  # the server may not have run since an upgrade
        backup_records.record(conn, clock.now(), path.stat().st_size)
    finally:
        conn.close()


@i18n.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help=N_("Replace the existing store (its content is lost)."))
@passphrase_stdin
@key_file_option
@click.pass_obj
def restore(instance: Instance, path: Path, force: bool, passphrase_stdin: bool, key_file) -> None:
    """Replace the store by the backup at PATH, checking every page first.

    With --passphrase-stdin: the backup passphrase on the first line, then the passphrase
    for the restored store (none with --key-file, which is created when missing). The
    retention purge runs at once. Stop the server first.

    Creates the instance folder (mode 0700) when it is missing and its parent exists.

    Example: casework restore --force /media/usb/casework-2024-05-01.backup
    """
    store, settings = instance.store, instance.settings
    prepare_instance(instance, create=True)
    with control.exclusive(_existing(instance)):
        if (store.path.exists() or store.keyring.exists) and not force:
            raise fail(m.STORE_EXISTS_FORCE, path=instance.path)
        backups.read_header(path)  # not a backup, or truncated: refused before any prompt
        secret = read_passphrase(passphrase_stdin, label=m.PROMPT_BACKUP)
        target = key_file_path(instance, key_file) or (
            lambda: read_passphrase(passphrase_stdin, new=True, label=m.PROMPT_RESTORED)
        )
        step = _steps(7)
        key = backups.restore(store, path, secret, target, instance.kdf_params, step)
        try:
            step(m.STEP_PURGE)
            purges.after_restore(store, key, settings, clock.now())
        finally:
            keys.wipe(key)
    say(m.RESTORED, path=instance.path, backup=path)
    show_recovery_key(store)
    say(m.RESTORED_SLOTS)


def _existing(instance: Instance) -> Path:
    check_instance(instance.path)
    return instance.path


def _existing_instance(instance: Instance) -> Instance:
    check_instance(instance.path)
    return instance
