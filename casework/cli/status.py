"""`casework status`: is a server running on this instance, is it locked, and what should
the operator see to before it hurts (backups, disk, certificate). Registered by cli.py."""

from __future__ import annotations

import datetime as dt
import json
from importlib import metadata
from pathlib import Path

import click

from casework import certificates, clock
from casework.cli import i18n
from casework.cli import messages as m
from casework.cli.common import (
    Instance,
    key_file_option,
    open_key,
    passphrase_stdin,
    prepare_instance,
)
from casework.cli.messages import say
from casework.rules.wording import N_
from casework.store.db import connect
from casework.vault import control, health, keys

DAY = 86400


@i18n.command()
@click.option("--json", "as_json", is_flag=True, help=N_("Print one JSON object."))
@passphrase_stdin
@key_file_option
@click.pass_obj
def status(instance: Instance, as_json: bool, passphrase_stdin: bool, key_file) -> None:
    """Say whether a server runs on this instance (and since when, locked or not), the last
    purge and backup, when the certificate expires, the free disk space against what the
    next compaction needs, and the version.

    A running, unlocked server answers everything through control.sock. Otherwise the
    last purge and backup are read from the store only when given --passphrase-stdin or
    --key-file. JSON keys include running, sealed, last_purge, last_backup,
    certificate_expires and disk_free_bytes.

    Example: casework status --json
    """
    prepare_instance(instance)
    report = gather(instance, passphrase_stdin, key_file)
    if as_json:
        click.echo(json.dumps(report, sort_keys=True))
    else:
        _print(report)


def gather(instance: Instance, from_stdin: bool, key_file: Path | None) -> dict:
    """Everything status reports, as plain values (times in Unix seconds)."""
    path, now = instance.path, clock.now()
    running = control.held(path)
    info = control.server_info(path) if running else None
    state = _health(instance, info, from_stdin, key_file)
    report = {
        "running": running,
        "stale_lock": not running and (path / control.SOCKET_FILE).exists(),
        "sealed": info["sealed"] if info else None,
        "since": info["since"] if info else None,
        "url": info["url"] if info else None,
        "store_read": state.created_at is not None,
        "last_purge": None,
        "last_backup": None,
        "certificate_expires": _certificate_expires(instance),
        "disk_free_bytes": state.disk_free_bytes,
        "compaction_needs_bytes": state.compaction_needs_bytes,
        "version": metadata.version("casework"),
    }
    if state.last_purge_at is not None:
        report["last_purge"] = {"at": state.last_purge_at, "outcome": state.last_purge_outcome}
    if state.last_backup_at is not None:
        age = (now - state.last_backup_at) // DAY
        report["last_backup"] = {"at": state.last_backup_at, "age_days": age}
    report["warnings"] = _warnings(report, state, now)
    return report


def _health(instance: Instance, info, from_stdin: bool, key_file) -> health.Health:
    """From the running server when it is unlocked, else from the store when given its
    key, else the disk alone."""
    store = instance.store
    disk = health.disk_only(instance.path, store.path)
    if info is not None and info.get("created_at") is not None:
        return health.Health(
            info["last_purge_at"], info["last_purge_outcome"], info["last_backup_at"],
            info["created_at"], disk.disk_free_bytes, disk.compaction_needs_bytes,
        )  # fmt: skip
    if not (from_stdin or key_file):
        return disk
    key = open_key(instance, from_stdin, key_file)
    try:
        conn = connect(store.path, key)
    finally:
        keys.wipe(key)
    try:
        return health.read(conn, instance.path, store.path)
    finally:
        conn.close()


def _certificate_expires(instance: Instance) -> int | None:
    cert_path, _key, _own = certificates.paths(instance.path, instance.settings)
    try:
        return int(certificates.load(cert_path).not_valid_after_utc.timestamp())
    except (certificates.CertificateProblem, ValueError):
        return None


def _warnings(report: dict, state: health.Health, now: int) -> list[str]:
    """The same warnings the board shows coordinators."""
    found = []
    if state.days_without_backup(now) is not None:
        found.append("backup_old")
    if state.disk_too_full:
        found.append("disk_too_full")
    expires = report["certificate_expires"]
    if expires is not None and expires - now < certificates.WARN_DAYS * DAY:
        found.append("certificate_expiring")
    return found


def _moment(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _print(report: dict) -> None:
    if report["running"]:
        state = m.text(m.STATUS_SEALED if report["sealed"] else m.STATUS_UNLOCKED)
        since = i18n.minute(_moment(report["since"]))
        say(m.STATUS_RUNNING, since=since, state=state, url=report["url"])
    elif report["stale_lock"]:
        say(m.STATUS_STALE, path=control.SOCKET_FILE)
    else:
        say(m.STATUS_NOT_RUNNING)
    _print_store(report)
    expires = report["certificate_expires"]
    if expires is None:
        say(m.STATUS_NO_CERTIFICATE)
    else:
        days = max((expires - clock.now()) // DAY, 0)
        say(m.STATUS_CERTIFICATE, date=i18n.day(_moment(expires)), days=days)
    mb = 1024 * 1024
    free, needed = report["disk_free_bytes"] // mb, -(-report["compaction_needs_bytes"] // mb)
    say(m.STATUS_DISK, free=free, needed=needed)
    for warning in report["warnings"]:
        _print_warning(warning, report)
    say(m.STATUS_VERSION, version=report["version"])


def _print_store(report: dict) -> None:
    if not report["store_read"]:
        say(m.STATUS_UNKNOWN, what=m.text(m.WHAT_PURGE))
        say(m.STATUS_UNKNOWN, what=m.text(m.WHAT_BACKUP))
        return
    purge, backup = report["last_purge"], report["last_backup"]
    if purge is None:
        say(m.STATUS_NEVER, what=m.text(m.WHAT_PURGE))
    else:
        outcome = m.text(m.OUTCOMES.get(purge["outcome"], purge["outcome"]))
        say(m.STATUS_PURGE, when=i18n.minute(_moment(purge["at"])), outcome=outcome)
    if backup is None:
        say(m.STATUS_NEVER, what=m.text(m.WHAT_BACKUP))
    else:
        say(m.STATUS_BACKUP, when=i18n.minute(_moment(backup["at"])), days=backup["age_days"])


def _print_warning(warning: str, report: dict) -> None:
    if warning == "backup_old":
        backup = report["last_backup"]
        days = backup["age_days"] if backup else f"{health.BACKUP_WARN_DAYS}+"
        say(m.STATUS_BACKUP_OLD, err=True, days=days)
    elif warning == "disk_too_full":
        say(m.STATUS_DISK_LOW, err=True)
    else:
        days = max((report["certificate_expires"] - clock.now()) // DAY, 0)
        say(m.TLS_SOON, err=True, days=days)
