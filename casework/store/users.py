"""People who use casework: a handle (never a legal name), a role, a password hash."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from casework.store.db import Connection, IntegrityError, transaction

ROLES = ("coordinator", "volunteer")
# Every query that builds a User selects these, so the dataclass always fills the same way.
COLUMNS = (
    "id, public_id, handle, role, ui_language, languages, active, availability,"
    " last_seen_at, totp_secret IS NOT NULL AS totp_enrolled"
)


class HandleTaken(Exception):
    """Another account already uses this handle (caught by the unique constraint)."""


@dataclass
class User:
    """A signed-in person as the web layer's login manager expects one (duck-typed)."""

    id: int
    public_id: str
    handle: str
    role: str
    ui_language: str | None
    languages: str
    active: bool
    availability: str = ""
    last_seen_at: int | None = None
    totp_enrolled: bool = False

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.public_id

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator"

    @property
    def needs_enrolment(self) -> bool:
        """Coordinators reach no data before they have a second factor."""
        return self.is_coordinator and not self.totp_enrolled


def _user(row) -> User | None:
    if row is None:
        return None
    return User(
        row["id"],
        row["public_id"],
        row["handle"],
        row["role"],
        row["ui_language"],
        row["languages"],
        bool(row["active"]),
        row["availability"],
        row["last_seen_at"],
        bool(row["totp_enrolled"]),
    )


def create(conn: Connection, handle: str, role: str, password_hash: str, now: int) -> User:
    """Add a person; raise HandleTaken when the handle exists (any letter case)."""
    public_id = secrets.token_urlsafe(16)
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO users (public_id, handle, role, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (public_id, handle, role, password_hash, now),
            )
    except IntegrityError as exc:
        if "users.handle" in str(exc):
            raise HandleTaken(handle) from exc
        raise
    return get_active(conn, public_id)


def get_active(conn: Connection, public_id: str) -> User | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM users WHERE public_id = ? AND active = 1",  # noqa: S608
        (public_id,),
    ).fetchone()
    return _user(row)


def get_any(conn: Connection, public_id: str) -> User | None:
    """A person by public id, active or not (coordinators manage both)."""
    row = conn.execute(
        f"SELECT {COLUMNS} FROM users WHERE public_id = ?",  # noqa: S608
        (public_id,),
    ).fetchone()
    return _user(row)


def get_by_id(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM users WHERE id = ?",  # noqa: S608
        (user_id,),
    ).fetchone()
    return _user(row)


def credentials(conn: Connection, handle: str) -> tuple[User, str] | None:
    """The active account with this handle and its password hash, for signing in."""
    row = conn.execute(
        f"SELECT {COLUMNS}, password_hash FROM users WHERE handle = ? AND active = 1",  # noqa: S608
        (handle,),
    ).fetchone()
    return None if row is None else (_user(row), row["password_hash"])


def password_hash(conn: Connection, user_id: int) -> str | None:
    row = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else row[0]


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def update_profile(
    conn: Connection, user_id: int, languages: str, availability: str, ui_language: str | None
) -> None:
    """Store what a person says about themself: languages, weekly pattern, interface."""
    with transaction(conn):
        conn.execute(
            "UPDATE users SET languages = ?, availability = ?, ui_language = ? WHERE id = ?",
            (languages, availability, ui_language, user_id),
        )


def touch(conn: Connection, user_id: int, now: int) -> None:
    """Record that the person signed in (inactive volunteers are deactivated later)."""
    with transaction(conn):
        conn.execute("UPDATE users SET last_seen_at = ? WHERE id = ?", (now, user_id))


def count(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM users").fetchone()[0]
