"""Failed sign-in attempts per account: a time and an account id, nothing typed."""

from __future__ import annotations

from casework.store.db import Connection, transaction


def record(conn: Connection, user_id: int, now: int) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO failed_signins (user_id, at) VALUES (?, ?)", (user_id, now))


def recent(conn: Connection, user_id: int, since: int) -> int:
    """How many attempts failed for this account since a time."""
    return conn.execute(
        "SELECT count(*) FROM failed_signins WHERE user_id = ? AND at > ?", (user_id, since)
    ).fetchone()[0]


def clear(conn: Connection, user_id: int) -> None:
    """Forget an account's failures once it signs in."""
    with transaction(conn):
        conn.execute("DELETE FROM failed_signins WHERE user_id = ?", (user_id,))


def purge_before(conn: Connection, cutoff: int) -> int:
    """Delete records older than the retention period; return how many went."""
    with transaction(conn):
        return conn.execute("DELETE FROM failed_signins WHERE at < ?", (cutoff,)).rowcount
