"""The `casework` command: each command a thin shell over a library function."""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from casework import config, control, keys, lifecycle, purge_runs, server
from casework.store import Store, StoreError, WrongKey, check_instance, invites
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


key_file_option = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Open the store with this 32-byte key file instead of a passphrase (unattended).",
)


def key_file_path(instance: Instance, option: Path | None) -> Path | None:
    """The key file from --key-file, else from config.toml (relative to the instance)."""
    if option is not None:
        return option.expanduser().resolve()
    configured = instance.settings["key_file"]
    return (instance.path / Path(configured).expanduser()) if configured else None


def open_key(instance: Instance, from_stdin: bool, key_file: Path | None = None) -> bytearray:
    """The proven store key: from the key file, or derived from the passphrase once."""
    store = instance.store
    if not store.path.exists():
        raise Failure(f"no store in {instance.path}: run `casework init` first")
    path = key_file_path(instance, key_file)
    if path is not None:
        return store.key_from_file(path)
    if store.keyed_by_key_file:
        raise Failure("this store opens with its key file: give --key-file PATH")
    if not store.pending_salt_path.exists():
        keys.read_salt_file(store.salt_path)  # a damaged salt file fails before any prompt
    return store.key_for(read_passphrase(from_stdin))


def setup_link(
    instance: Instance, key: bytearray, host: str, port: int, scheme: str = "https"
) -> str:
    """Create the one-time link for the first coordinator and return its URL."""
    conn = connect(instance.store.path, key)
    try:
        token = invites.create(conn, "setup", "coordinator", int(time.time()), invites.SETUP_HOURS)
    finally:
        conn.close()
    return f"{base_url(instance, host, port, scheme)}/setup/{token}"


def base_url(
    instance: Instance, host: str | None = None, port: int | None = None, scheme: str = "https"
) -> str:
    """The address people open: this machine's name when the server listens everywhere."""
    host = host or instance.settings["host"]
    if host != "localhost" and ipaddress.ip_address(host).is_unspecified:
        host = socket.gethostname()
    return f"{scheme}://{host}:{port or instance.settings['port']}"


def create_store(
    instance: Instance,
    from_stdin: bool,
    host: str,
    port: int,
    scheme: str = "https",
    key_file: Path | None = None,
) -> bytearray:
    store = instance.store
    if store.path.exists() or store.salt_path.exists():
        raise Failure(f"a store already exists in {instance.path}: refusing to touch it")
    path = key_file_path(instance, key_file)
    if path is not None:
        store_key = store.create_with_key_file(path, instance.kdf_params)
    else:
        store_key = store.create(read_passphrase(from_stdin, new=True), instance.kdf_params)
    link = setup_link(instance, store_key, host, port, scheme)
    click.echo(f"Created an encrypted store in {instance.path}.")
    if path is not None:
        click.echo(f"It opens with the key file {path}: whoever holds that file can read it.")
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
@key_file_option
@click.pass_obj
def init(instance: Instance, passphrase_stdin: bool, key_file: Path | None) -> None:
    """Create the encrypted store and print a one-time link for the first coordinator.

    Refuses to touch an existing store. With --key-file (or key_file in config.toml) the
    store is keyed by that file, which is created when it does not exist yet.

    Example: casework init --key-file /media/usb/casework.key
    """
    settings = instance.settings  # an invalid config fails before anything is created
    keys.wipe(
        create_store(
            instance, passphrase_stdin, settings["host"], settings["port"], key_file=key_file
        )
    )


@cli.command()
@click.option("--host", help="Address to listen on (default: host in config.toml).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: port in config).")
@click.option("--no-tls", is_flag=True, help="Serve plain HTTP (only on a loopback address).")
@click.option("--init", "create", is_flag=True, help="Create the store first if there is none.")
@passphrase_stdin
@key_file_option
@click.pass_obj
def serve(instance: Instance, host, port, no_tls, create, passphrase_stdin, key_file) -> None:
    """Serve casework over HTTPS with a self-signed certificate made on first start.

    It starts sealed (locked: a coordinator unlocks it in the browser) unless it is given
    the passphrase (--passphrase-stdin), a key file, or --init has just created the store.

    Example: casework serve --port 8443
    """
    settings = instance.settings
    host = host or settings["host"]
    port = port or settings["port"]
    if no_tls and not _is_loopback(host):
        raise Failure("--no-tls is only allowed on a loopback address such as 127.0.0.1")
    check_instance(instance.path)
    held = control.claim(instance.path)  # one server per instance, and no rekey meanwhile
    try:
        key = _serve_key(instance, create, passphrase_stdin, key_file, (host, port, no_tls))
        _serve(instance, host, port, no_tls, key)
    finally:
        os.close(held)


def _serve_key(
    instance: Instance, create: bool, from_stdin: bool, key_file, address: tuple
) -> bytearray | None:
    """The key to start with, or None to start sealed."""
    store = instance.store
    store_exists = store.path.exists()
    if create and not store_exists:
        host, port, no_tls = address
        scheme = "http" if no_tls else "https"
        return create_store(instance, from_stdin, host, port, scheme, key_file)
    if from_stdin or key_file_path(instance, key_file) is not None:
        return open_key(instance, from_stdin, key_file)
    if not store_exists:
        raise Failure(f"no store in {instance.path}: run `casework init` first")
    return None  # sealed: unlocked from the browser


def _serve(instance: Instance, host: str, port: int, no_tls: bool, key: bytearray | None) -> None:
    from casework import create_app

    if not no_tls and not server.tls_paths(instance.path)[0].exists():
        server.make_certificate(instance.path, [host])
    app = create_app(instance.path, tls=not no_tls)
    try:
        httpd = server.build_server(app, host, port, instance.settings["threads"], tls=not no_tls)
    except OSError as exc:
        keys.wipe(key)
        raise Failure(
            f"cannot listen on {host}:{port}: {exc.strerror or 'address in use'}"
        ) from exc
    if key is not None:
        lifecycle.unlock_with_key(app, key)
    store = app.extensions["casework_store"]
    channel = control.LockChannel(
        instance.path,
        lambda: lifecycle.lock_store(app, "command"),
        lambda: store.sealed,
        lambda passphrase: lifecycle.unlock_answer(
            lifecycle.unlock_with_passphrase(app, passphrase, "control-socket")
        ),
    )
    try:
        channel.start()
    except (OSError, StoreError) as exc:
        click.echo(f"casework: `casework lock` will not work: {exc}", err=True)
    stop_timer = lifecycle.start_idle_timer(app)
    scheme = "http" if no_tls else "https"
    if store.sealed:
        click.echo("casework is locked: unlock it in the browser with the store passphrase.")
    click.echo(f"casework is serving on {scheme}://{host}:{port}/")
    if not no_tls:
        cert_path = server.tls_paths(instance.path)[0]
        click.echo(f"Certificate SHA-256 fingerprint: {server.fingerprint(cert_path)}")
    sys.stdout.flush()

    scheduler = purge_runs.PurgeScheduler(app)
    scheduler.start()

    def on_stop() -> None:
        scheduler.stop()
        stop_timer.set()
        channel.stop()
        store.lock()

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
@key_file_option
@click.pass_obj
def check(instance: Instance, passphrase_stdin: bool, key_file: Path | None) -> None:
    """Verify the store: SQLite integrity and every page's authentication code.

    Example: casework check
    """
    key = open_key(instance, passphrase_stdin, key_file)
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


from casework import cli_demo, cli_keys, cli_people, cli_purge  # noqa: E402,F401  (more commands)


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cli(prog_name="casework")
