"""The `casework` command line: one module per command group, each command a thin shell
over a library function, registered here with ``add_command``.

May import every layer below it; nothing imports it but ``casework.__main__``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from casework import config
from casework.cli import demo, i18n, instance, keys, people, purge, slots, status
from casework.cli import messages as m
from casework.cli.common import EXIT_FAILURE, EXIT_USAGE, Failure, Instance
from casework.rules.wording import N_
from casework.store import StoreError, WrongKey, db
from casework.vault import keys as key_material

# Files this process creates are its user's only: store, -wal, -shm, salt, keys, backups.
PRIVATE_UMASK = 0o077


class CaseworkGroup(i18n.Group):
    """Speaks the operator's language, and turns every error into one line on stderr and an
    exit status: never a traceback."""

    def main(self, args=None, *others, **settings) -> Any:
        # Before parsing: `--help` is printed while the arguments are read.
        args = sys.argv[1:] if args is None else list(args)
        i18n.choose(i18n.instance_in(args))
        return super().main(args, *others, **settings)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own: usage errors, Ctrl-C, --help
        except config.ConfigError as exc:
            message, status = m.explain(exc), EXIT_USAGE
        except WrongKey:
            message, status = m.text(m.WRONG_KEY), EXIT_FAILURE
        except Failure as exc:
            message, status = str(exc), exc.status  # already in the operator's language
        except (StoreError, key_material.KeyProblem) as exc:
            message, status = m.explain(exc), EXIT_FAILURE
        except db.Error as exc:
            message, status = _fault(exc), EXIT_FAILURE
        except OSError as exc:
            where = exc.filename or ctx.obj.path
            reason = exc.strerror or type(exc).__name__
            message = (
                _fault(exc)
                if db.is_disk_full(exc)
                else m.text(m.OS_ERROR, path=where, reason=reason)
            )
            status = EXIT_FAILURE
        except Exception as exc:  # a bug: one line naming its kind, never its content
            message, status = m.text(m.UNEXPECTED, kind=type(exc).__name__), EXIT_FAILURE
        click.echo(f"casework: {message}", err=True)
        ctx.exit(status)


def _fault(exc: BaseException) -> str:
    """One true line for a fault of the machine, never a traceback."""
    if db.is_disk_full(exc):
        return m.text(m.DISK_FULL)
    if isinstance(exc, OSError):
        return m.text(m.SYSTEM_REFUSED, reason=exc.strerror or type(exc).__name__)
    return m.text(m.STORE_UNUSABLE, kind=type(exc).__name__)


@click.group(cls=CaseworkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--instance",
    envvar="CASEWORK_INSTANCE",
    default="instance",
    type=click.Path(path_type=Path, readable=False),  # checked by casework, in one line
    help=N_(
        "The instance folder (store, key slots, config, certificate). Env: CASEWORK_INSTANCE."
        " Default: instance."
    ),
)
@click.pass_context
def cli(ctx: click.Context, instance: Path) -> None:
    """casework: a privacy-first accompaniment tracker.

    Example: casework --instance /srv/casework serve
    """
    os.umask(PRIVATE_UMASK)
    ctx.obj = Instance(instance.expanduser().resolve())
    i18n.choose(ctx.obj.path)  # the folder as parsed: its config.toml may name a language


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
    status.status,
    demo.demo,
    slots.rotate,
    slots.recovery_key,
):
    cli.add_command(command)
cli.add_command(slots.slots_group, "slots")


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cli(prog_name="casework")
