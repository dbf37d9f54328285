"""What coordinators must hear about on their board before it hurts, as `casework status`
says it: no backup for 14 days, a disk too full to compact, a certificate soon expired."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from casework.store.db import Connection
from casework.vault import health
from casework.web.context import get_store

DAY = 86400


def for_coordinators(conn: Connection, now: int) -> dict:
    """``backup_days`` (None while a recent backup exists), ``disk_too_full``, and
    ``certificate_days`` (None unless the certificate served expires within 30 days)."""
    store = get_store()
    state = health.read(conn, Path(current_app.instance_path), store.path)
    served = current_app.config["CASEWORK_SERVED"] or {}
    certificate_days = None
    expires = served.get("expires")
    if expires is not None and expires - now < health.CERTIFICATE_WARN_DAYS * DAY:
        certificate_days = max((expires - now) // DAY, 0)
    return {
        "backup_days": state.days_without_backup(now),
        "disk_too_full": state.disk_too_full,
        "certificate_days": certificate_days,
    }
