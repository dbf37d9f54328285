"""Checking a password or a second-factor code, throttled, audited, with ids only.

The views show one message for every failure (unknown handle, wrong password, wrong
code) and one for a throttled attempt, so nothing tells an attacker which part failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from casework.rules import passwords
from casework.store import audit, second_factor, users
from casework.store.db import Connection
from casework.web import throttle

FAILED = _l("Those sign-in details do not match. Check them and try again.")
TOO_MANY = _l("Too many attempts. Wait a minute, then try again.")


@dataclass(frozen=True)
class Attempt:
    """What checking a password or a code came to: the account, or None; throttled or not."""

    user: users.User | None = None
    throttled: bool = False


def check_password(
    conn: Connection, handle: str, password: str, params: passwords.HashParams, now: int
) -> Attempt:
    """The account if the password matches; stores a stronger hash when costs rose."""
    found = users.credentials(conn, handle)
    user_id = found[0].id if found else None
    if throttle.refused(conn, user_id, now):
        return Attempt(throttled=True)
    if found is None:
        passwords.dummy_verify(password, params)  # same time for an unknown handle
        throttle.record_failure(conn, None, now)
        audit.record(conn, now, None, "signin.failed")
        return Attempt()
    user, stored = found
    ok, new_hash = passwords.verify_password(stored, password, params)
    if not ok:
        throttle.record_failure(conn, user.id, now)
        audit.record(conn, now, user.id, "signin.failed")
        return Attempt()
    if new_hash:
        users.set_password_hash(conn, user.id, new_hash)
    return Attempt(user)


def check_code(conn: Connection, user: users.User, typed: str, now: int) -> Attempt:
    """The account if the code is a fresh TOTP code or an unused recovery code."""
    if throttle.refused(conn, user.id, now):
        return Attempt(throttled=True)
    if second_factor.matches(conn, user.id, typed, now):
        return Attempt(user)
    throttle.record_failure(conn, user.id, now)
    audit.record(conn, now, user.id, "signin.failed", "second_factor")
    return Attempt()


def check_current_password(
    conn: Connection, user: users.User, password: str, params: passwords.HashParams, now: int
) -> Attempt:
    """Re-check a signed-in person's password (changing it), throttled like sign-in."""
    if throttle.refused(conn, user.id, now):
        return Attempt(throttled=True)
    ok, _new = passwords.verify_password(users.password_hash(conn, user.id) or "", password, params)
    if ok:
        return Attempt(user)
    throttle.record_failure(conn, user.id, now)
    return Attempt()
