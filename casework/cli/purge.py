"""`casework purge`: retention from the command line (cron, a systemd timer, by hand).
Registered on the `casework` group by cli.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from casework import clock
from casework.cli import i18n
from casework.cli import messages as m
from casework.cli.common import Failure, Instance, key_file_option, open_key, passphrase_stdin
from casework.cli.messages import fail, say
from casework.rules.wording import N_
from casework.store.retention import PurgeRefused
from casework.vault import keys, purges


@i18n.command()
@click.option("--dry-run", is_flag=True, help=N_("Show what a purge would delete; change nothing."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the report as one JSON object."))
@passphrase_stdin
@key_file_option
@click.pass_obj
def purge(
    instance: Instance, dry_run: bool, as_json: bool, passphrase_stdin: bool, key_file: Path | None
) -> None:
    """Delete everything past its retention period, then compact the store.

    Counts only are printed (never codes or content). Refused while another purge runs.
    For cron or a systemd timer: see scripts/casework-purge.timer.

    Example: casework purge --dry-run
    """
    settings = instance.settings
    key = open_key(instance, passphrase_stdin, key_file)
    progress = _show_step if sys.stdout.isatty() else None
    try:
        report = purges.purge_with_key(
            instance.path, key, settings, clock.now(), dry_run=dry_run, progress=progress
        )
    except PurgeRefused as exc:
        raise Failure(m.explain(exc)) from exc
    finally:
        keys.wipe(key)
    if as_json:
        click.echo(json.dumps(report.as_json(), sort_keys=True))
    else:
        _print_report(report)
    if report.problem:
        outcome = m.text(m.OUTCOMES[report.outcome])
        raise fail(m.PURGE_PROBLEM, outcome=outcome, problem=m.text(report.problem))


def _show_step(step: str) -> None:
    say(m.PURGE_STEP, err=True, step=step.replace("_", " "))


def _print_report(report) -> None:
    if report.dry_run:
        say(m.PURGE_DRY_RUN, total=report.total)
    else:
        say(
            m.PURGE_DONE,
            outcome=m.text(m.OUTCOMES[report.outcome]),
            total=report.total,
            seconds=report.seconds,
        )
    for kind, count in sorted(report.counts.items()):
        say(m.PURGE_COUNT, kind=kind, count=count)
