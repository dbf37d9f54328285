"""What an operator should hear about before it hurts: the last purge and backup, and
whether the disk can hold the next compaction. Read by `casework status` and the board."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from casework.store import backups, purge_reports
from casework.store.db import Connection

DAY = 86400
BACKUP_WARN_DAYS = 14
CERTIFICATE_WARN_DAYS = 30
# VACUUM writes a compacted copy (a temporary file) and then every page again through the
# WAL: about twice the store's size must be free for a purge to finish compacting.
COMPACTION_FACTOR = 2


@dataclass(frozen=True)
class Health:
    last_purge_at: int | None
    last_purge_outcome: str | None
    last_backup_at: int | None
    created_at: int | None
    disk_free_bytes: int
    compaction_needs_bytes: int

    @property
    def disk_too_full(self) -> bool:
        return self.disk_free_bytes < self.compaction_needs_bytes

    def days_without_backup(self, now: int) -> int | None:
        """Whole days since the last backup (or since the store was made, when none was
        ever written) once past BACKUP_WARN_DAYS; None while a recent one exists."""
        since = self.last_backup_at or self.created_at
        if since is None or now - since < BACKUP_WARN_DAYS * DAY:
            return None
        return (now - since) // DAY


def disk_free(instance: Path) -> int:
    return shutil.disk_usage(instance).free


def compaction_needs(store_path: Path) -> int:
    """Bytes the next VACUUM may need: the store and its WAL, twice over."""
    size = 0
    for path in (store_path, store_path.with_name(store_path.name + "-wal")):
        with contextlib.suppress(OSError):  # no WAL right after a checkpoint
            size += path.stat().st_size
    return size * COMPACTION_FACTOR


def disk_only(instance: Path, store_path: Path) -> Health:
    """What can be known without the key: the disk."""
    return Health(None, None, None, None, disk_free(instance), compaction_needs(store_path))


def read(conn: Connection, instance: Path, store_path: Path) -> Health:
    """Everything, read from an open store."""
    runs = purge_reports.recent(conn, 1)
    backup = backups.last(conn)
    return Health(
        last_purge_at=runs[0].started_at if runs else None,
        last_purge_outcome=runs[0].outcome if runs else None,
        last_backup_at=backup.made_at if backup else None,
        created_at=backups.store_created_at(conn),
        disk_free_bytes=disk_free(instance),
        compaction_needs_bytes=compaction_needs(store_path),
    )
