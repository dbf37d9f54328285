"""What coordinators do to accounts: list, change a role, deactivate, end sessions.

Each change is one transaction with its audit event, so a crash never leaves a person
deactivated with live sessions or a role changed without a trace.
"""

from __future__ import annotations

from casework.store import audit, second_factor, sessions, users
from casework.store.db import Connection, transaction
from casework.store.users import COLUMNS, ROLES, User, _user


class LastCoordinator(Exception):
    """The change would leave no active coordinator to run the group."""


def listing(conn: Connection) -> list[User]:
    """Everyone, active first, then by handle."""
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM users ORDER BY active DESC, handle COLLATE NOCASE"  # noqa: S608
    )
    return [_user(row) for row in rows]


def _other_coordinators(conn: Connection, user_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM users WHERE role = 'coordinator' AND active = 1 AND id != ?",
        (user_id,),
    ).fetchone()[0]


def set_role(conn: Connection, actor_id: int | None, person: User, role: str, now: int) -> None:
    """Change a role; the last active coordinator keeps theirs."""
    if role not in ROLES:
        raise ValueError(role)
    with transaction(conn):
        demoted = person.role == "coordinator" and role != "coordinator"
        if demoted and _other_coordinators(conn, person.id) == 0:
            raise LastCoordinator
        conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, person.id))
        sessions.end_for_user(conn, person.id)  # a new role means new pages: sign in again
        audit.record(conn, now, actor_id, f"role.{role}", f"user:{person.id}")


def deactivate(conn: Connection, actor_id: int | None, person: User, now: int) -> None:
    """Deactivate and end every session in the same transaction."""
    with transaction(conn):
        if person.role == "coordinator" and _other_coordinators(conn, person.id) == 0:
            raise LastCoordinator
        conn.execute(
            "UPDATE users SET active = 0, deactivated_at = ? WHERE id = ?", (now, person.id)
        )
        sessions.end_for_user(conn, person.id)
        audit.record(conn, now, actor_id, "user.deactivated", f"user:{person.id}")


def reactivate(conn: Connection, actor_id: int | None, person: User, now: int) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE users SET active = 1, deactivated_at = NULL WHERE id = ?", (person.id,)
        )
        audit.record(conn, now, actor_id, "user.reactivated", f"user:{person.id}")


def end_sessions_of(conn: Connection, actor_id: int, person: User, now: int) -> int:
    """A coordinator ends every session of someone (a lost phone): counted and audited."""
    with transaction(conn):
        ended = sessions.end_for_user(conn, person.id)
        audit.record(conn, now, actor_id, "sessions.ended", f"user:{person.id}")
    return ended


def change_password(conn: Connection, person: User, password_hash: str, now: int) -> None:
    """A person changes their own password: every other device signs in again."""
    with transaction(conn):
        users.set_password_hash(conn, person.id, password_hash)
        sessions.end_for_user(conn, person.id)
        audit.record(conn, now, person.id, "password.changed")


def reset_second_factor(conn: Connection, actor_id: int, person: User, now: int) -> None:
    """Forget someone's second factor and sign them out: they enrol again at sign-in."""
    with transaction(conn):
        second_factor.reset(conn, person.id)
        sessions.end_for_user(conn, person.id)
        audit.record(conn, now, actor_id, "second_factor.reset", f"user:{person.id}")
