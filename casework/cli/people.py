"""`casework invite`: an invitation from the command line, for the first days of a group
or when no coordinator can sign in. Registered on the `casework` group by cli.py.
"""

from __future__ import annotations

from pathlib import Path

import click

from casework import clock
from casework.cli import i18n
from casework.cli import messages as m
from casework.cli.common import Instance, base_url, key_file_option, open_key, passphrase_stdin
from casework.cli.messages import say
from casework.rules.wording import N_
from casework.store import invites
from casework.store.db import connect
from casework.store.migrations import migrate
from casework.vault import keys


@i18n.command()
@click.option(
    "--role",
    type=click.Choice(["volunteer", "coordinator"]),
    required=True,
    help=N_("The role the new person will have."),
)
@passphrase_stdin
@key_file_option
@click.pass_obj
def invite(instance: Instance, role: str, passphrase_stdin: bool, key_file: Path | None) -> None:
    """Create a one-time invitation and print its link and a code to read aloud.

    The person opens the link, or types the code at /join, and chooses a pseudonym and
    a password. Valid for invites.valid_hours (72 by default), single use. The link uses
    public_url when set, else the address of the server running on this instance (asked
    through control.sock), else the address `casework serve` would listen on.

    Example: casework invite --role volunteer
    """
    key = open_key(instance, passphrase_stdin, key_file)
    hours = instance.settings["invites.valid_hours"]
    try:
        conn = connect(instance.store.path, key)
    finally:
        keys.wipe(key)
    try:
        now = clock.now()
        migrate(conn, now)  # the server may not have run since an upgrade
        link = invites.create_with_code(conn, "invite", now, hours, role=role)
    finally:
        conn.close()
    base = base_url(instance)
    say(m.INVITE_FOR[role], hours=hours)
    say(m.INVITE_LINK, url=f"{base}/join/{link.token}")
    say(m.INVITE_CODE, code=link.code, url=f"{base}/join")
