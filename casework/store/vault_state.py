"""What the encrypted store records about its key slots: the store id, the slot file's
epoch (a file older than this is a rolled-back one), whose each coordinator slot is, and
whether the recovery key was used since a new one was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.store.db import Connection, Row, transaction


@dataclass(frozen=True)
class VaultState:
    store_id: str
    slot_epoch: int
    recovery_used_at: int | None


def read(conn: Connection) -> VaultState | None:
    """None for a store made before key slots (its first unlock upgrades it)."""
    row = conn.execute("SELECT store_id, slot_epoch, recovery_used_at FROM vault").fetchone()
    return None if row is None else VaultState(row[0], row[1], row[2])


def record(conn: Connection, store_id: str, epoch: int) -> None:
    """Record the store id and the slot file's epoch (it only ever grows)."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO vault (id, store_id, slot_epoch) VALUES (1, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET slot_epoch = max(slot_epoch, excluded.slot_epoch)",
            (store_id, epoch),
        )


def reset(conn: Connection, store_id: str, epoch: int) -> None:
    """A new slot file for this store (created, restored, upgraded): forget the old slots."""
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO vault (id, store_id, slot_epoch, recovery_used_at)"
            " VALUES (1, ?, ?, NULL)",
            (store_id, epoch),
        )
        conn.execute("DELETE FROM unlock_slots")


def recovery_used(conn: Connection, now: int | None) -> None:
    """Mark (a time) or clear (None) that the store was opened with the recovery key."""
    with transaction(conn):
        conn.execute("UPDATE vault SET recovery_used_at = ?", (now,))


def add_slot(conn: Connection, slot_id: str, kind: str, user_id: int | None, now: int) -> None:
    """Record a new slot; a coordinator's new slot replaces their old one."""
    with transaction(conn):
        if user_id is not None:
            conn.execute("DELETE FROM unlock_slots WHERE user_id = ?", (user_id,))
        conn.execute(
            "INSERT INTO unlock_slots (slot_id, kind, user_id, created_at) VALUES (?, ?, ?, ?)",
            (slot_id, kind, user_id, now),
        )


def keep_only(conn: Connection, slot_ids: set[str]) -> int:
    """Forget the slots that are no longer in the file (removed, replaced)."""
    with transaction(conn):
        rows = conn.execute("SELECT slot_id FROM unlock_slots").fetchall()
        gone = [(row[0],) for row in rows if row[0] not in slot_ids]
        conn.executemany("DELETE FROM unlock_slots WHERE slot_id = ?", gone)
    return len(gone)


def slots(conn: Connection) -> list[Row]:
    """Every recorded slot with its owner's pseudonym and role (coordinator slots)."""
    return conn.execute(
        "SELECT s.slot_id, s.kind, s.user_id, s.created_at, u.handle, u.public_id,"
        " u.role, u.active FROM unlock_slots s LEFT JOIN users u ON u.id = s.user_id"
        " ORDER BY s.created_at"
    ).fetchall()


def slot_of(conn: Connection, user_id: int) -> str | None:
    row = conn.execute("SELECT slot_id FROM unlock_slots WHERE user_id = ?", (user_id,)).fetchone()
    return None if row is None else row[0]


def owner(conn: Connection, slot_id: str) -> int | None:
    row = conn.execute("SELECT user_id FROM unlock_slots WHERE slot_id = ?", (slot_id,)).fetchone()
    return None if row is None else row[0]
