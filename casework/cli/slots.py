"""Commands on the key slots: list them, remove one, rotate the master key, make a new
recovery key. Each works on a stopped server (with a secret that opens the store) and,
through the control socket, on a running unlocked one (no secret needed there: the
server holds the key).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from casework.cli import i18n
from casework.cli import messages as m
from casework.cli.common import (
    Instance,
    key_file_option,
    open_key,
    passphrase_stdin,
    prepare_instance,
    say_recovery_key,
)
from casework.cli.messages import fail, say
from casework.rules import recovery_key as recovery
from casework.rules.wording import N_
from casework.store import StoreError, vault_state
from casework.vault import control, keys, slots
from casework.vault.store import Store


def _when(seconds: int | None) -> str:
    if not seconds:
        return m.text(m.NEVER)
    return i18n.minute(dt.datetime.fromtimestamp(seconds, dt.UTC))


def _running(instance: Instance) -> bool:
    try:
        return control.send(instance.path, "status") in ("sealed", "unlocked")
    except StoreError:
        return False


def _ask_server(instance: Instance, command: str, argument: str = "") -> str:
    answer = control.send(instance.path, command, argument)
    if answer == "sealed":
        raise fail(m.SERVER_SEALED)
    if answer.startswith("refused no slot "):
        raise fail(m.NO_SLOT, slot=answer.removeprefix("refused no slot "))
    if answer.startswith("refused "):
        raise fail(m.NOT_ROTATED)
    return answer


@i18n.group(invoke_without_command=True)
@passphrase_stdin
@key_file_option
@click.pass_context
def slots_group(ctx: click.Context, passphrase_stdin: bool, key_file: Path | None) -> None:
    """List the ways into the store: kind, created, last used.

    The slot file names nobody; with --passphrase-stdin or --key-file the store is opened
    and each coordinator slot shows its owner's pseudonym.

    Example: casework slots
    """
    if ctx.invoked_subcommand is not None:
        return
    instance: Instance = ctx.obj
    prepare_instance(instance)
    store = instance.store
    file = slots.read(store.slot_path)
    owners = _owners(instance, passphrase_stdin, key_file) if passphrase_stdin or key_file else {}
    rows = [[m.text(column) for column in m.SLOT_COLUMNS]]
    for slot in file.slots:
        kind = m.text(m.SLOT_KINDS[slot.kind])
        when = (_when(slot.created), _when(slot.last_used))
        rows.append([slot.id, kind, *when, owners.get(slot.id, "")])
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo(" ".join([*cells, row[4]]).rstrip())


def _owners(instance: Instance, from_stdin: bool, key_file: Path | None) -> dict[str, str]:
    key = open_key(instance, from_stdin, key_file)
    store = Store(instance.path)
    try:
        store.unlock(key)
        return {
            row["slot_id"]: row["handle"] or ""
            for row in vault_state.slots(store.conn())
            if row["handle"]
        }
    finally:
        store.lock()


@slots_group.command("remove")
@click.argument("slot_id")
@click.option("--force", is_flag=True, help=N_("Also remove the last coordinator slot."))
@passphrase_stdin
@key_file_option
@click.pass_obj
def remove(
    instance: Instance, slot_id: str, force: bool, passphrase_stdin: bool, key_file: Path | None
) -> None:
    """Remove the slot SLOT_ID and rotate the master key, so that no copy of the old slot
    file opens the store with it.

    Example: casework slots remove 3f2a9c0d1e4b5a67
    """
    prepare_instance(instance)
    file = slots.read(instance.store.slot_path)
    _check_removal(file, slot_id, force)
    if _running(instance):
        _ask_server(instance, "remove-slot", slot_id)
    else:
        _offline(instance, passphrase_stdin, key_file, lambda store: store.rotate((slot_id,)))
    say(m.SLOT_REMOVED, slot=slot_id)
    say(m.OLD_BACKUPS)


def _check_removal(file: slots.SlotFile, slot_id: str, force: bool) -> None:
    slot = next((s for s in file.slots if s.id == slot_id), None)
    if slot is None:
        raise fail(m.NO_SLOT, slot=slot_id)
    if len(file.slots) == 1:
        raise fail(m.ONLY_SLOT)
    coordinators = file.of_kind(slots.COORDINATOR)
    if slot.kind == slots.COORDINATOR and len(coordinators) == 1 and not force:
        raise fail(m.LAST_COORDINATOR_SLOT)


def _offline(instance: Instance, from_stdin: bool, key_file: Path | None, change) -> object:
    """Open a stopped server's store, apply ``change`` to it, and close it again."""
    with control.exclusive(instance.path):
        key = open_key(instance, from_stdin, key_file)
        store = Store(instance.path)
        store.unlock(key)
        try:
            return change(store)
        finally:
            store.lock()


@i18n.command()
@passphrase_stdin
@key_file_option
@click.pass_obj
def rotate(instance: Instance, passphrase_stdin: bool, key_file: Path | None) -> None:
    """Replace the master key with a new random one, sealed to every slot: nobody
    retypes anything, and old copies of the slot file no longer open the store.

    Example: casework rotate
    """
    prepare_instance(instance)
    if _running(instance):
        _ask_server(instance, "rotate")
    else:
        _offline(instance, passphrase_stdin, key_file, lambda store: store.rotate())
    say(m.ROTATED)
    say(m.OLD_BACKUPS)


@i18n.command("recovery-key")
@click.option("--new", "make_new", is_flag=True, required=True, help=N_("Make a new recovery key."))
@passphrase_stdin
@key_file_option
@click.pass_obj
def recovery_key(
    instance: Instance, make_new: bool, passphrase_stdin: bool, key_file: Path | None
) -> None:
    """Replace the recovery key: the old one stops working at once; the new one is shown
    once, to write down and keep in a sealed envelope.

    Example: casework recovery-key --new
    """
    prepare_instance(instance)
    if _running(instance):
        written = _ask_server(instance, "recovery-key")
    else:
        written = _offline(instance, passphrase_stdin, key_file, _new_recovery_key)
    say_recovery_key(written)


def _new_recovery_key(store: Store) -> str:
    old = [slot.id for slot in store.slot_file.of_kind(slots.RECOVERY)]
    fresh = recovery.new()
    try:
        store.add_slot(slots.recovery(fresh), keys.KdfParams(), replaces=old[0] if old else None)
        vault_state.recovery_used(store.conn(), None)
        return recovery.encode(fresh)
    finally:
        keys.wipe(fresh)
