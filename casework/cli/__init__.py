"""The `casework` command line: one module per command group, each command a thin shell
over a library function, registered here with ``add_command``.

May import every layer below it; nothing imports it but ``casework.__main__``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from casework import config
from casework.cli import demo, instance, keys, people, purge
from casework.cli.common import EXIT_FAILURE, EXIT_USAGE, Failure, Instance
from casework.store import StoreError, WrongKey, db
from casework.vault import keys as key_material


class CaseworkGroup(click.Group):
    """Turns the operator-facing errors into one line on stderr and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except config.ConfigError as exc:
            message, status = str(exc), EXIT_USAGE
        except WrongKey:
            message, status = "the passphrase or key does not open this store", EXIT_FAILURE
        except (Failure, StoreError, key_material.KeyProblem) as exc:
            message, status = str(exc), getattr(exc, "status", EXIT_FAILURE)
        except (db.Error, OSError) as exc:
            message, status = _fault(exc), EXIT_FAILURE
        click.echo(f"casework: {message}", err=True)
        ctx.exit(status)


def _fault(exc: BaseException) -> str:
    """One true line for a fault of the machine, never a traceback."""
    if db.is_disk_full(exc):
        return "the disk is full: nothing was saved; free some space and try again"
    if isinstance(exc, OSError):
        return f"the system refused: {exc.strerror or type(exc).__name__}"
    return f"the store could not be used ({type(exc).__name__}); nothing was saved"


@click.group(cls=CaseworkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--instance",
    envvar="CASEWORK_INSTANCE",
    default="instance",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The instance folder (store, salt, config, certificate). Env: CASEWORK_INSTANCE.",
)
@click.pass_context
def cli(ctx: click.Context, instance: Path) -> None:
    """casework: a privacy-first accompaniment tracker.

    Example: casework --instance /srv/casework serve
    """
    ctx.obj = Instance(instance.resolve())


for command in (
    instance.init,
    instance.serve,
    keys.unlock,
    keys.lock,
    instance.check,
    purge.purge,
    keys.rekey,
    keys.backup,
    keys.restore,
    people.invite,
    instance.tls,
    demo.demo,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cli(prog_name="casework")
