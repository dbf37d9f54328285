"""When the last backup was made: one row, replaced by each `casework backup`."""

from __future__ import annotations

from dataclasses import dataclass

from casework.store.db import Connection, transaction


@dataclass(frozen=True)
class BackupMade:
    made_at: int
    size_bytes: int


def record(conn: Connection, now: int, size_bytes: int) -> None:
    """Remember that a backup of ``size_bytes`` was written at ``now``."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO backups_made (only_row, made_at, size_bytes) VALUES (1, ?, ?)"
            " ON CONFLICT (only_row) DO UPDATE SET made_at = excluded.made_at,"
            " size_bytes = excluded.size_bytes",
            (now, size_bytes),
        )


def last(conn: Connection) -> BackupMade | None:
    """The last backup made, or None when there has been none."""
    row = conn.execute("SELECT made_at, size_bytes FROM backups_made").fetchone()
    return BackupMade(row[0], row[1]) if row else None


def store_created_at(conn: Connection) -> int | None:
    """When the store was made (its first migration), to age "no backup yet"."""
    row = conn.execute("SELECT MIN(applied_at) FROM schema_migrations").fetchone()
    return row[0] if row else None
