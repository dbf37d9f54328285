"""One-time links (first coordinator setup, invites, password resets), stored hashed.

An invite or reset link also has a short code that can be read aloud over the phone
(same alphabet and check symbol as case codes); it is stored hashed like the token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from casework.rules import codes
from casework.store import audit
from casework.store.db import Connection, IntegrityError, Row, transaction

SETUP_HOURS = 24


@dataclass(frozen=True)
class Link:
    """What the person receives: a link token and the same link as a short code."""

    token: str
    code: str


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


def create_with_code(
    conn: Connection,
    purpose: str,
    now: int,
    hours: int,
    *,
    role: str | None = None,
    user_id: int | None = None,
    created_by: int | None = None,
) -> Link:
    """An invite (role) or a reset link (user_id) with both a token and a short code,
    recorded in the audit trail in the same transaction (ids only).
    """
    action, target = (
        ("invite.created", f"role:{role}")
        if purpose == "invite"
        else ("password_reset.created", f"user:{user_id}")
    )
    token = secrets.token_urlsafe(24)
    for _attempt in range(5):  # a code collision among live links is rare: draw again
        code = codes.new_invite_code()
        try:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO invites (token_hash, code_hash, purpose, role, user_id,"
                    " created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        token_hash(token),
                        token_hash(code),
                        purpose,
                        role,
                        user_id,
                        created_by,
                        now,
                        now + hours * 3600,
                    ),
                )
                audit.record(conn, now, created_by, action, target)
        except IntegrityError:
            continue
        return Link(token, code)
    raise RuntimeError("could not draw a unique invite code")


def find_usable(conn: Connection, token: str, purpose: str, now: int) -> Row | None:
    """The link if it exists, has this purpose, is unused and unexpired."""
    return conn.execute(
        "SELECT id, role, user_id FROM invites WHERE token_hash = ? AND purpose = ?"
        " AND used_at IS NULL AND expires_at > ?",
        (token_hash(token), purpose, now),
    ).fetchone()


def find_usable_link(conn: Connection, token: str, now: int) -> Row | None:
    """An unused, unexpired invite or reset link by its token."""
    return conn.execute(
        "SELECT id, purpose, role, user_id FROM invites WHERE token_hash = ?"
        " AND purpose IN ('invite', 'reset') AND used_at IS NULL AND expires_at > ?",
        (token_hash(token), now),
    ).fetchone()


def find_usable_code(conn: Connection, typed: str, now: int) -> Row | None:
    """An unused, unexpired invite or reset link by its code as typed (any spacing)."""
    code = codes.normalise_case_code(typed)
    if code is None:
        return None
    return conn.execute(
        "SELECT id, purpose, role, user_id FROM invites WHERE code_hash = ?"
        " AND used_at IS NULL AND expires_at > ?",
        (token_hash(code), now),
    ).fetchone()


def get_usable(conn: Connection, invite_id: int, now: int) -> Row | None:
    """The link by its row id, while still usable (the id lives only in the server session)."""
    return conn.execute(
        "SELECT id, purpose, role, user_id FROM invites WHERE id = ?"
        " AND used_at IS NULL AND expires_at > ?",
        (invite_id, now),
    ).fetchone()


def mark_used(conn: Connection, invite_id: int, now: int) -> bool:
    """Claim the link; False when someone else used it first (single use, race-safe)."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?",
            (now, invite_id, now),
        )
    return cursor.rowcount == 1
