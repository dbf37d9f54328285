"""Commands on the instance itself: init, serve, check and tls."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

import click

from casework import server
from casework.app import create_app
from casework.cli.common import (
    Failure,
    Instance,
    create_store,
    key_file_option,
    key_file_path,
    open_key,
    passphrase_stdin,
)
from casework.store import StoreError
from casework.store.db import DatabaseError
from casework.vault import control, keys, purges
from casework.vault.store import check_instance
from casework.web import lifecycle


@click.command()
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


@click.command()
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
        lambda: lifecycle.lock_answer(app),
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

    scheduler = purges.PurgeScheduler(
        app.extensions["casework_store"], app.config["CASEWORK"], app.config["CASEWORK_CLOCK"]
    )
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


@click.command()
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


@click.command()
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
