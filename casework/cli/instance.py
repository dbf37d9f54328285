"""Commands on the instance itself: init, serve, check and tls."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import sys
import time
from pathlib import Path

import click
import segno

from casework import addresses, certificates, server
from casework.app import create_app
from casework.cli import i18n
from casework.cli import messages as m
from casework.cli.common import (
    EXIT_USAGE,
    Failure,
    Instance,
    base_url,
    create_store,
    key_file_option,
    key_file_path,
    open_key,
    passphrase_stdin,
    prepare_instance,
)
from casework.cli.messages import fail, say
from casework.rules.wording import N_
from casework.store import StoreError
from casework.store.db import DatabaseError
from casework.vault import control, health, keys, memory, purges
from casework.vault.store import Sealed
from casework.web import hosts, keyslots, lifecycle

DAY = 86400


@i18n.command()
@passphrase_stdin
@key_file_option
@click.pass_obj
def init(instance: Instance, passphrase_stdin: bool, key_file: Path | None) -> None:
    """Create the encrypted store and print a one-time link for the first coordinator.

    Creates the instance folder (mode 0700) when it is missing and its parent exists.
    Refuses to touch an existing store. With --key-file (or key_file in config.toml) the
    store is keyed by that file, which is created when it does not exist yet. The link
    uses public_url when set, else the address `casework serve` will listen on.

    Example: casework init --key-file /media/usb/casework.key
    """
    instance.settings  # noqa: B018 - an invalid config fails before anything is created
    keys.wipe(create_store(instance, passphrase_stdin, key_file=key_file))


@i18n.command()
@click.option("--host", help=N_("Address to listen on (default: host in config.toml)."))
@click.option("--port", type=click.IntRange(1, 65535), help=N_("Port (default: port in config)."))
@click.option("--no-tls", is_flag=True, help=N_("Serve plain HTTP (only on a loopback address)."))
@click.option("--init", "create", is_flag=True, help=N_("Create the store first if there is none."))
@passphrase_stdin
@key_file_option
@click.pass_obj
def serve(instance: Instance, host, port, no_tls, create, passphrase_stdin, key_file) -> None:
    """Serve casework over HTTPS, with a self-signed certificate made on first start or
    the group's own ([tls] in config.toml), and print one address per local network.

    It starts sealed (locked: a coordinator unlocks it in the browser with their own
    sign-in) unless it is given the operator passphrase or the recovery key
    (--passphrase-stdin), a key file, or --init has just created the store.

    Example: casework serve --port 8443
    """
    settings = instance.settings
    host = host or settings["host"]
    port = port or settings["port"]
    if no_tls and not _is_loopback(host):
        raise fail(m.NO_TLS_OFF_LOOPBACK)
    prepare_instance(instance, create=create)
    memory.protect()  # before any key exists: no core dump, no tracing, locked memory
    held = control.claim(instance.path)  # one server per instance, and no rekey meanwhile
    try:
        cert = None if no_tls else _certificate(instance, host)
        scheme = "http" if no_tls else "https"
        base = base_url(instance, host, port, scheme)
        key = _serve_key(instance, create, passphrase_stdin, key_file, base)
        _serve(instance, host, port, key, cert)
    finally:
        os.close(held)


def _serve_key(
    instance: Instance, create: bool, from_stdin: bool, key_file, base: str
) -> bytearray | None:
    """The key to start with, or None to start sealed."""
    store = instance.store
    store_exists = store.path.exists()
    if create and not store_exists:
        return create_store(instance, from_stdin, base, key_file)
    if from_stdin or key_file_path(instance, key_file) is not None:
        return open_key(instance, from_stdin, key_file)
    if not store_exists:
        raise fail(m.NO_STORE, path=instance.path)
    return None  # sealed: unlocked from the browser


def _certificate(instance: Instance, host: str) -> tuple[Path, Path, bool]:
    """The certificate to serve: the group's own, checked (exit 2), or the self-signed one,
    made when missing or expired."""
    settings = instance.settings
    cert_path, key_path, own = certificates.paths(instance.path, settings)
    now = dt.datetime.now(dt.UTC)
    if own:
        try:
            certificates.check_own(cert_path, key_path, _names_served(settings, host), now)
        except certificates.CertificateProblem as exc:
            raise Failure(m.explain(exc), EXIT_USAGE) from exc
        return cert_path, key_path, own
    if not cert_path.exists() or certificates.load(cert_path).not_valid_after_utc <= now:
        certificates.make_self_signed(instance.path, _extra_names(settings, host))
        expires = certificates.load(cert_path).not_valid_after_utc
        say(m.CERTIFICATE_MADE, date=i18n.day(expires))
    cert = certificates.load(cert_path)
    for name in _names_served(settings, host):
        if not certificates.covers(cert, name):
            say(m.CERTIFICATE_NOT_COVERING, err=True, host=name)
    return cert_path, key_path, own


def _names_served(settings: dict, host: str) -> list[str]:
    """The names people will type or scan: the public URL's host, else the addresses."""
    if settings["public_url"]:
        return [_public_host(settings)]
    return addresses.reachable_hosts(host)


def _public_host(settings: dict) -> str:
    return hosts.normalise(settings["public_url"].split("://", 1)[1].split("/", 1)[0])


def _extra_names(settings: dict, host: str) -> list[str]:
    names = [host] if host not in ("0.0.0.0", "::") else []  # noqa: S104 - compared, not bound
    return names + ([_public_host(settings)] if settings["public_url"] else [])


def _serve(instance: Instance, host: str, port: int, key, cert) -> None:
    app = create_app(instance.path, tls=cert is not None)
    files = None if cert is None else (cert[0], cert[1])
    try:
        httpd = server.build_server(
            app, host, port, instance.settings["threads"], bool(cert), files
        )
    except OSError as exc:
        keys.wipe(key)
        raise fail(m.CANNOT_LISTEN, host=host, port=port, reason=exc.strerror or "in use") from exc
    if key is not None:
        lifecycle.unlock_with_key(app, key)
    scheme, port = httpd.scheme, httpd.server_address[1]
    urls = addresses.served_urls(host, port, scheme, instance.settings["public_url"])
    served = _describe(urls, cert)
    names = [*addresses.reachable_hosts(host), *addresses.machine_names(), host]
    hosts.serve_on(app, names, served)
    store = app.extensions["casework_store"]
    channel = _control_channel(instance, app, served)
    stop_timer = lifecycle.start_idle_timer(app)
    if store.sealed:
        say(m.SERVING_SEALED)
    say(m.SERVING_ON, url=f"{urls[0]}/")
    for other in urls[1:]:
        say(m.SERVING_ALSO, url=f"{other}/")
    if served["fingerprint"]:
        say(m.FINGERPRINT, fingerprint=served["fingerprint"])
    sys.stdout.flush()
    scheduler = purges.PurgeScheduler(store, app.config["CASEWORK"], app.config["CASEWORK_CLOCK"])
    scheduler.start()

    def on_stop() -> None:
        scheduler.stop()
        stop_timer.set()
        channel.stop()
        store.lock()

    server.run(httpd, on_stop)


def _describe(urls: list[str], cert) -> dict:
    """What the connect-a-phone page, the board and `casework status` show."""
    described = {"urls": urls, "fingerprint": "", "expires": None, "own": False}
    if cert is not None:
        shown = certificates.served(cert[0], cert[2])
        described.update(fingerprint=shown.fingerprint, expires=shown.expires, own=shown.own)
    return described


def _control_channel(instance: Instance, app, served: dict) -> control.LockChannel:
    store = app.extensions["casework_store"]
    started = int(time.time())

    def info() -> dict:
        answer = {"url": served["urls"][0], "urls": served["urls"], "since": started}
        answer["certificate_expires"] = served["expires"]
        try:
            with store.in_use():
                state = health.read(store.conn(), instance.path, store.path)
            answer.update(
                last_purge_at=state.last_purge_at,
                last_purge_outcome=state.last_purge_outcome,
                last_backup_at=state.last_backup_at,
                created_at=state.created_at,
            )
        except Sealed:
            pass  # sealed: nothing of the store can be read
        return answer

    channel = control.LockChannel(
        instance.path,
        lambda: lifecycle.lock_answer(app),
        lambda: store.sealed,
        lambda passphrase: lifecycle.unlock_answer(
            lifecycle.unlock_with_passphrase(app, passphrase, "control-socket")
        ),
        info,
        commands=slot_commands(app),
    )
    try:
        channel.start()
    except (OSError, StoreError) as exc:
        say(m.NO_LOCK_CHANNEL, err=True, reason=m.explain(exc))
    return channel


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@i18n.command()
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
        raise fail(m.DAMAGED_UNREADABLE) from exc
    finally:
        keys.wipe(key)
    if problems:
        raise fail(m.DAMAGED, count=len(problems), first=problems[0])
    say(m.CHECK_OK)


@i18n.command()
@click.option("--renew", is_flag=True, help=N_("Replace the self-signed certificate."))
@click.option("--qr", is_flag=True, help=N_("Also draw a QR code of the address to scan."))
@click.pass_obj
def tls(instance: Instance, renew: bool, qr: bool) -> None:
    """Show the certificate served: its SHA-256 fingerprint (also in short groups), when
    it expires, and with --qr a QR code of the address for phones; or renew it.

    Volunteers compare the fingerprint with what their browser shows.

    Example: casework tls --qr
    """
    prepare_instance(instance)
    settings = instance.settings
    cert_path, _key, own = certificates.paths(instance.path, settings)
    if renew:
        if own:
            raise fail(m.RENEW_OWN_CERTIFICATE, EXIT_USAGE)
        certificates.make_self_signed(instance.path, _extra_names(settings, settings["host"]))
        say(m.TLS_RENEWED)
    elif not own and not cert_path.exists():
        raise fail(m.NO_CERTIFICATE)
    try:
        cert = certificates.load(cert_path)
    except (certificates.CertificateProblem, ValueError) as exc:
        raise Failure(m.explain(exc), EXIT_USAGE) from exc
    _show_certificate(cert)
    if qr:
        url = base_url(instance)
        segno.make(url, error="m").terminal(compact=True)
        say(m.TLS_QR_FOR, url=url)


def _show_certificate(cert) -> None:
    fingerprint = certificates.fingerprint(cert)
    say(m.TLS_FINGERPRINT, fingerprint=fingerprint)
    say(m.TLS_FINGERPRINT_GROUPS, groups=" ".join(hosts.fingerprint_groups(fingerprint)))
    expires = cert.not_valid_after_utc
    days = (expires - dt.datetime.now(dt.UTC)).days
    say(m.TLS_EXPIRES, date=i18n.day(expires), days=max(days, 0))
    if days < 0:
        say(m.TLS_EXPIRED, err=True, date=i18n.day(expires))
    elif days < certificates.WARN_DAYS:
        say(m.TLS_SOON, err=True, days=days)


def slot_commands(app) -> dict:
    """What `casework rotate`, `slots remove` and `recovery-key --new` ask a running server."""

    def in_app(run):
        def answer(argument: str) -> str:
            if app.extensions["casework_store"].sealed:
                return "sealed"
            with app.app_context():
                return run(argument)

        return answer

    def remove(slot_id: str) -> str:
        file = app.extensions["casework_store"].slot_file
        if slot_id not in {slot.id for slot in file.slots}:
            return f"refused no slot {slot_id}"
        return "rotated" if keyslots.rotate(app, (slot_id,)) else "refused the key was not rotated"

    return {
        "rotate": in_app(lambda _: "rotated" if keyslots.rotate(app) else "refused not rotated"),
        "remove-slot": in_app(remove),
        "recovery-key": in_app(lambda _: keyslots.new_recovery_key(app)),
    }
