"""`casework demo`: a new store filled with synthetic data, to try casework and to benchmark
it. Registered on the `casework` group by cli.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from casework import clock
from casework.cli import i18n
from casework.cli import messages as m
from casework.cli.common import (
    Instance,
    key_file_option,
    key_file_path,
    passphrase_stdin,
    prepare_instance,
    read_passphrase,
    say_recovery_key,
)
from casework.cli.messages import fail, say
from casework.rules import passwords
from casework.rules.wording import N_
from casework.store import demo as demo_data
from casework.store import users
from casework.vault import memory, slots


@i18n.command()
@click.option(
    "--scale",
    type=click.Choice(["small", "medium", "large"]),
    default="small",
    show_default=True,
    help=N_("small: 50 cases; medium: 10,000; large: 100,000."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the accounts as JSON."))
@passphrase_stdin
@key_file_option
@click.pass_obj
def demo(
    instance: Instance, scale: str, as_json: bool, passphrase_stdin: bool, key_file: Path | None
) -> None:
    """Create a NEW store filled with synthetic people, cases and tasks, to try casework.

    Creates the instance folder (mode 0700) when it is missing and its parent exists.
    Refuses an existing store. Prints the demo accounts (pseudonym, password, and a TOTP
    secret for coordinators). With --key-file the store is keyed by that file, which is
    created when it does not exist yet.

    Example: casework --instance /tmp/try demo --scale small
    """
    memory.protect()
    store = instance.store
    s = instance.settings
    prepare_instance(instance, create=True)
    if store.path.exists() or store.keyring.exists:
        raise fail(m.STORE_EXISTS, path=instance.path)
    params = passwords.HashParams(
        s["passwords.time_cost"], s["passwords.memory_kib"], s["passwords.parallelism"]
    )
    path = key_file_path(instance, key_file)
    if path is not None:
        key = store.create_with_key_file(path, instance.kdf_params)
    else:
        key = store.create(read_passphrase(passphrase_stdin, new=True), instance.kdf_params)
    started = time.monotonic()
    recovery = store.new_recovery_key
    store.unlock(key)
    try:
        conn = store.conn()
        accounts, counts = demo_data.fill(conn, scale, clock.now(), params)
        coordinators = [a for a in accounts if a.role == "coordinator"]
        owners = [users.credentials(conn, a.handle)[0].id for a in coordinators]
        store.add_slots(
            [
                (slots.coordinator(a.handle, a.password), owner, None)
                for a, owner in zip(coordinators, owners, strict=True)
            ],
            instance.kdf_params,
        )
    finally:
        store.lock()
    counts["seconds"] = round(time.monotonic() - started, 1)
    if as_json:
        body = {"counts": counts, "accounts": demo_data.as_dicts(accounts)}
        click.echo(json.dumps({**body, "recovery_key": recovery}))
        return
    _print_demo(accounts, counts)
    say_recovery_key(recovery)


def _print_demo(accounts, counts: dict) -> None:
    say(m.DEMO_SUMMARY, **counts)
    shown = [a for a in accounts if a.role == "coordinator"][:5]
    shown += [a for a in accounts if a.role == "volunteer"][:5]
    for account in shown:
        extra = m.text(m.DEMO_TOTP, secret=account.totp_secret) if account.totp_secret else ""
        say(m.DEMO_ACCOUNT, role=m.text(m.ROLES[account.role]), handle=account.handle,
            password=account.password, extra=extra)  # fmt: skip
    if len(accounts) > len(shown):
        say(m.DEMO_MORE, count=len(accounts) - len(shown))
