"""Commands of the key lifecycle: lock a running server, change the passphrase, back up
and restore. Registered on the `casework` group by cli.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from casework import clock
from casework.cli.common import (
    Failure,
    Instance,
    key_file_option,
    key_file_path,
    open_key,
    passphrase_stdin,
    read_passphrase,
)
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
            click.echo(f"{min(count, total)}/{total} {what}…")

    return step


@click.command()
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
        click.echo("Locked: the key is gone from the server's memory and every session ended.")
        return
    left = answer.removeprefix("locked; sessions not ended: ")
    if left == answer:
        raise Failure(f"the server did not lock (it answered {answer!r})")
    # Sealed all the same: the sessions in the store are unusable now and end at unlock.
    click.echo(
        f"Locked: the key is gone from the server's memory; ending the sessions failed"
        f" ({left}), so they end at the next unlock and none can be used until then."
    )


@click.command()
@passphrase_stdin
@click.pass_obj
def unlock(instance: Instance, passphrase_stdin: bool) -> None:
    """Unlock the sealed server running on this instance with the store passphrase.

    For operators on the machine itself (through control.sock, mode 0600), e.g. after a
    reboot: the same as the unlock page, throttled the same way, and the purge runs first.

    Example: casework unlock
    """
    if instance.store.keyed_by_key_file:
        raise Failure("this store opens with its key file: start the server with --key-file")
    answer = control.send(instance.path, "unlock", read_passphrase(passphrase_stdin))
    messages = {
        "wrong": "that passphrase does not open the store",
        "busy": "another unlock is under way; try again in a moment",
        "key_file": "this store opens with its key file",
    }
    if answer.startswith("wait "):
        raise Failure(f"too many attempts: wait {answer.split()[1]} seconds")
    if answer != "unlocked":
        raise Failure(messages.get(answer, f"the server answered {answer!r}"))
    click.echo("Unlocked: casework is serving.")


@click.command()
@passphrase_stdin
@click.pass_obj
def rekey(instance: Instance, passphrase_stdin: bool) -> None:
    """Change the store passphrase: re-encrypt every page under a new key and a new salt.

    With --passphrase-stdin: the current passphrase on the first line, the new one on the
    second. Safe to interrupt: the store then opens with the old or the new passphrase.
    Stop the server first.

    Example: casework rekey
    """
    store = instance.store
    params = instance.kdf_params
    with control.exclusive(_existing(instance)):
        if store.keyed_by_key_file:
            raise Failure("this store opens with a key file: it has no passphrase to change")
        current = read_passphrase(passphrase_stdin, label="Current store passphrase")
        new = read_passphrase(passphrase_stdin, new=True, label="New store passphrase")
        change_passphrase(store, current, new, params, _steps(4))
    click.echo("The passphrase is changed: the old one no longer opens the store.")


@click.command()
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
        raise Failure(f"{path} already exists: choose a new file name")
    if not path.parent.is_dir():
        raise Failure(f"the folder {path.parent} does not exist")
    store_key = open_key(_existing_instance(instance), passphrase_stdin, key_file)
    try:
        secret = read_passphrase(passphrase_stdin, new=True, label="Backup passphrase")
        step = _steps(3)
        backups.write_backup(
            instance.store.path, store_key, path, secret, instance.kdf_params, step
        )
        step("done")
    finally:
        keys.wipe(store_key)
    click.echo(f"Wrote an encrypted backup to {path}.")
    click.echo("Keep it offline, away from this machine, and delete it when a newer one exists.")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the existing store (its content is lost).")
@passphrase_stdin
@key_file_option
@click.pass_obj
def restore(instance: Instance, path: Path, force: bool, passphrase_stdin: bool, key_file) -> None:
    """Replace the store by the backup at PATH, checking every page first.

    With --passphrase-stdin: the backup passphrase on the first line, then the passphrase
    for the restored store (none with --key-file, which is created when missing). The
    retention purge runs at once. Stop the server first.

    Example: casework restore --force /media/usb/casework-2024-05-01.backup
    """
    store, settings = instance.store, instance.settings
    with control.exclusive(_existing(instance)):
        if (store.path.exists() or store.salt_path.exists()) and not force:
            raise Failure(f"a store already exists in {instance.path}: add --force to replace it")
        backups.read_header(path)  # not a backup, or truncated: refused before any prompt
        secret = read_passphrase(passphrase_stdin, label="Backup passphrase")
        target = key_file_path(instance, key_file) or (
            lambda: read_passphrase(
                passphrase_stdin, new=True, label="Passphrase for the restored store"
            )
        )
        step = _steps(7)
        key = backups.restore(store, path, secret, target, instance.kdf_params, step)
        try:
            step("running the retention purge")
            purges.after_restore(store, key, settings, clock.now())
        finally:
            keys.wipe(key)
    click.echo(f"Restored the store in {instance.path} from {path}.")


def _existing(instance: Instance) -> Path:
    check_instance(instance.path)
    return instance.path


def _existing_instance(instance: Instance) -> Instance:
    check_instance(instance.path)
    return instance
