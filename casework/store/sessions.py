"""Signed-in sessions as the store keeps them: an id hash, whose they are, their data.

Ending sessions happens here and only here: one session (sign-out), one person's
(deactivation, a role change, "sign out everywhere"), or everyone's (unlock, Lock now).
"""

from __future__ import annotations

from casework.store import audit
from casework.store.db import Connection, Row, transaction


def load(conn: Connection, id_hash: str) -> Row | None:
    """The session's data and times, or None."""
    return conn.execute(
        "SELECT data, created_at, seen_at FROM sessions WHERE id_hash = ?", (id_hash,)
    ).fetchone()


def start(
    conn: Connection, id_hash: str, old_hash: str | None, public_id: str, data: str, now: int
) -> None:
    """Store a new session for an active person, ending ``old_hash`` in the same step."""
    with transaction(conn):
        if old_hash:
            end(conn, old_hash)
        conn.execute(
            "INSERT INTO sessions (id_hash, user_id, data, created_at, seen_at)"
            " SELECT ?, id, ?, ?, ? FROM users WHERE public_id = ? AND active = 1",
            (id_hash, data, now, now, public_id),
        )


def save(conn: Connection, id_hash: str, data: str, now: int) -> None:
    """Keep the session's data and when it was last seen."""
    with transaction(conn):
        conn.execute(
            "UPDATE sessions SET data = ?, seen_at = ? WHERE id_hash = ?", (data, now, id_hash)
        )


def end(conn: Connection, id_hash: str) -> int:
    """End one session (sign-out, or found expired)."""
    with transaction(conn):
        return conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,)).rowcount


def end_for_user(conn: Connection, user_id: int) -> int:
    """End every session of one person at once (their next request is signed out)."""
    with transaction(conn):
        return conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount


def end_all(
    conn: Connection, now: int, action: str, reason: str = "", actor_id: int | None = None
) -> int:
    """End everyone's session (unlock, Lock now, restore), recording ``action`` with it."""
    with transaction(conn):
        ended = conn.execute("DELETE FROM sessions").rowcount
        audit.record(conn, now, actor_id, action, reason)
    return ended
