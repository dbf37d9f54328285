"""Using a one-time link: create the account it invites, or set a forgotten password.

The link is claimed inside the same transaction as the change it allows, so two people
using one link at the same moment end with exactly one account (or one new password).
"""

from __future__ import annotations

from casework.store import audit, invites, sessions, users
from casework.store.db import Connection, Row, transaction


class LinkUsed(Exception):
    """Someone else used (or the clock expired) this link first."""


def accept(
    conn: Connection, link: Row, handle: str, password_hash: str, now: int, action: str
) -> users.User:
    """Claim the link and create the person; raises LinkUsed or HandleTaken, saving nothing."""
    with transaction(conn):
        if not invites.mark_used(conn, link["id"], now):
            raise LinkUsed
        user = users.create(conn, handle, link["role"], password_hash, now)
        audit.record(conn, now, user.id, action, f"invite:{link['id']}")
    return user


def reset_password(conn: Connection, link: Row, password_hash: str, now: int) -> None:
    """Claim a reset link, set the new password and end every session of that person."""
    with transaction(conn):
        if not invites.mark_used(conn, link["id"], now):
            raise LinkUsed
        users.set_password_hash(conn, link["user_id"], password_hash)
        sessions.end_for_user(conn, link["user_id"])
        audit.record(conn, now, link["user_id"], "password.reset", f"invite:{link['id']}")
