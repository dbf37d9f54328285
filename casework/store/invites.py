"""One-time links (first coordinator setup, invites, password resets), stored hashed."""

from __future__ import annotations

import hashlib
import secrets

from casework.store.db import Connection, Row, transaction

SETUP_HOURS = 24


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create(
    conn: Connection,
    purpose: str,
    role: str | None,
    now: int,
    hours: int,
    created_by: int | None = None,
) -> str:
    """Create a link and return its token; only the token's hash is kept."""
    token = secrets.token_urlsafe(24)
    with transaction(conn):
        conn.execute(
            "INSERT INTO invites (token_hash, purpose, role, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash(token), purpose, role, created_by, now, now + hours * 3600),
        )
    return token


def find_usable(conn: Connection, token: str, purpose: str, now: int) -> Row | None:
    """The link if it exists, has this purpose, is unused and unexpired."""
    return conn.execute(
        "SELECT id, role FROM invites WHERE token_hash = ? AND purpose = ?"
        " AND used_at IS NULL AND expires_at > ?",
        (token_hash(token), purpose, now),
    ).fetchone()


def mark_used(conn: Connection, invite_id: int, now: int) -> bool:
    """Claim the link; False when someone else used it first (single use, race-safe)."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?",
            (now, invite_id, now),
        )
    return cursor.rowcount == 1
