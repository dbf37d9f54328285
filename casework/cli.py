"""The `casework` command: each command a thin shell over a library function."""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from casework import config, keys, purge_runs, server
from casework.retention import PurgeRefused
from casework.store import Store, StoreError, WrongKey, invites
from casework.store.db import DatabaseError, connect

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
        s = self.settings
        return keys.KdfParams(s["kdf.time_cost"], s["kdf.memory_kib"], s["kdf.parallelism"])


passphrase_stdin = click.option(
    "--passphrase-stdin",
    is_flag=True,
    help="Read the passphrase as one line of standard input instead of prompting.",
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


def unlock_key(instance: Instance, from_stdin: bool) -> bytearray:
    """Derive the store key from the passphrase, once."""
    store = instance.store
    if not store.path.exists():
        raise Failure(f"no store in {instance.path}: run `casework init` first")
    keys.read_salt_file(store.salt_path)  # a damaged salt file fails before any prompt
    return store.derive(read_passphrase(from_stdin))


def setup_link(instance: Instance, key: bytearray) -> str:
    """Create the one-time link for the first coordinator and return its URL."""
    conn = connect(instance.store.path, key)
    try:
        token = invites.create(conn, "setup", "coordinator", int(time.time()), invites.SETUP_HOURS)
    finally:
        conn.close()
    host = instance.settings["host"]
    if ipaddress.ip_address(host if host != "localhost" else "127.0.0.1").is_unspecified:
        host = socket.gethostname()
    return f"https://{host}:{instance.settings['port']}/setup/{token}"


def create_store(instance: Instance, from_stdin: bool) -> bytearray:
    store = instance.store
    if store.path.exists() or store.salt_path.exists():
        raise Failure(f"a store already exists in {instance.path}: refusing to touch it")
    store_key = store.create(read_passphrase(from_stdin, new=True), instance.kdf_params)
    link = setup_link(instance, store_key)
    click.echo(f"Created an encrypted store in {instance.path}.")
    click.echo("Open this link within 24 hours to create the first coordinator account:")
    click.echo(f"  {link}")
    return store_key


class CaseworkGroup(click.Group):
    """Turns the operator-facing errors into one line on stderr and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except config.ConfigError as exc:
            message, status = str(exc), EXIT_USAGE
        except WrongKey:
            message, status = "the passphrase or key does not open this store", EXIT_FAILURE
        except (Failure, StoreError, keys.KeyProblem) as exc:
            message, status = str(exc), getattr(exc, "status", EXIT_FAILURE)
        click.echo(f"casework: {message}", err=True)
        ctx.exit(status)


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


@cli.command()
@passphrase_stdin
@click.pass_obj
def init(instance: Instance, passphrase_stdin: bool) -> None:
    """Create the encrypted store and print a one-time link for the first coordinator.

    Refuses to touch an existing store.

    Example: casework init
    """
    instance.settings  # noqa: B018  (an invalid config fails before anything is created)
    keys.wipe(create_store(instance, passphrase_stdin))


@cli.command()
@click.option("--host", help="Address to listen on (default: host in config.toml).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: port in config).")
@click.option("--no-tls", is_flag=True, help="Serve plain HTTP (only on a loopback address).")
@click.option("--init", "create", is_flag=True, help="Create the store first if there is none.")
@passphrase_stdin
@click.pass_obj
def serve(instance: Instance, host, port, no_tls, create, passphrase_stdin) -> None:
    """Serve casework over HTTPS with a self-signed certificate made on first start.

    Example: casework serve --port 8443
    """
    from casework import create_app

    settings = instance.settings
    host = host or settings["host"]
    port = port or settings["port"]
    if no_tls and not _is_loopback(host):
        raise Failure("--no-tls is only allowed on a loopback address such as 127.0.0.1")
    if create and not instance.store.path.exists():
        key = create_store(instance, passphrase_stdin)
    else:
        key = unlock_key(instance, passphrase_stdin)
    if not no_tls and not server.tls_paths(instance.path)[0].exists():
        server.make_certificate(instance.path, [host])
    app = create_app(instance.path, key=key, tls=not no_tls)
    try:
        httpd = server.build_server(app, host, port, settings["threads"], tls=not no_tls)
    except OSError as exc:
        app.extensions["casework_store"].lock()
        raise Failure(
            f"cannot listen on {host}:{port}: {exc.strerror or 'address in use'}"
        ) from exc
    # Bound but not yet serving: the purge runs before the first page, never on a failed start.
    purge_runs.run_startup_purge(app)
    scheme = "http" if no_tls else "https"
    click.echo(f"casework is serving on {scheme}://{host}:{port}/")
    if not no_tls:
        cert_path = server.tls_paths(instance.path)[0]
        click.echo(f"Certificate SHA-256 fingerprint: {server.fingerprint(cert_path)}")
    sys.stdout.flush()
    scheduler = purge_runs.PurgeScheduler(app)
    scheduler.start()

    def on_stop() -> None:
        scheduler.stop()
        app.extensions["casework_store"].lock()

    server.run(httpd, on_stop)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cli.command()
@passphrase_stdin
@click.pass_obj
def check(instance: Instance, passphrase_stdin: bool) -> None:
    """Verify the store: SQLite integrity and every page's authentication code.

    Example: casework check
    """
    key = unlock_key(instance, passphrase_stdin)
    try:
        problems = instance.store.check(key)
    except DatabaseError as exc:
        raise Failure("the store is damaged: it cannot be read to the end") from exc
    finally:
        keys.wipe(key)
    if problems:
        raise Failure(f"the store is damaged: {len(problems)} problem(s), first: {problems[0]}")
    click.echo("ok: the store is intact")


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what a purge would delete; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@passphrase_stdin
@click.pass_obj
def purge(instance: Instance, dry_run: bool, as_json: bool, passphrase_stdin: bool) -> None:
    """Delete everything past its retention period, then compact the store.

    Counts only are printed (never codes or content). Refused while another purge runs.
    For cron or a systemd timer: see scripts/casework-purge.timer.

    Example: casework purge --dry-run
    """
    settings = instance.settings
    key = unlock_key(instance, passphrase_stdin)
    progress = _show_step if sys.stdout.isatty() else None
    try:
        report = purge_runs.purge_with_key(
            instance.path, key, settings, int(time.time()), dry_run=dry_run, progress=progress
        )
    except PurgeRefused as exc:
        raise Failure(str(exc)) from exc
    finally:
        keys.wipe(key)
    if as_json:
        click.echo(json.dumps(report.as_json(), sort_keys=True))
    else:
        _print_report(report)
    if report.problem:
        raise Failure(f"purge {report.outcome}: {report.problem}")


def _show_step(step: str) -> None:
    click.echo(f"  {step.replace('_', ' ')}…", err=True)


def _print_report(report) -> None:
    if report.dry_run:
        click.echo(f"Dry run: a purge now would remove {report.total} row(s); nothing changed.")
    else:
        click.echo(f"Purge {report.outcome}: {report.total} row(s) in {report.seconds:.2f} s.")
    for kind, count in sorted(report.counts.items()):
        click.echo(f"  {kind}: {count}")


@cli.command()
@click.option("--renew", is_flag=True, help="Replace the certificate with a new one.")
@click.pass_obj
def tls(instance: Instance, renew: bool) -> None:
    """Show the TLS certificate's fingerprint, or replace the certificate.

    Volunteers compare the fingerprint with what their browser shows.

    Example: casework tls --renew
    """
    cert_path = server.tls_paths(instance.path)[0]
    if renew:
        if not instance.path.is_dir():
            raise Failure(f"the instance folder {instance.path} does not exist")
        server.make_certificate(instance.path, [instance.settings["host"]])
        click.echo("A new certificate was made; restart the server to use it.")
    elif not cert_path.exists():
        raise Failure("no certificate yet: `casework serve` makes one on first start")
    click.echo(f"SHA-256 fingerprint: {server.fingerprint(cert_path)}")


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cli(prog_name="casework")
