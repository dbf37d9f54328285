"""The stored side of the second factor: TOTP secret, last used step, recovery codes."""

from __future__ import annotations

from casework.rules import totp
from casework.store import audit
from casework.store.db import Connection, transaction

# A recovery code is 14 characters; anything much longer is not worth hashing.
MAX_CODE = 64


def secret(conn: Connection, user_id: int) -> tuple[bytes | None, int | None]:
    """The person's TOTP secret (None when not enrolled) and the last step they used."""
    row = conn.execute(
        "SELECT totp_secret, totp_last_step FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    return (None, None) if row is None else (row[0], row[1])


def enrol(conn: Connection, user_id: int, totp_secret: bytes, step: int) -> list[str]:
    """Keep the confirmed secret and return ten new recovery codes (stored hashed)."""
    with transaction(conn):
        conn.execute(
            "UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ?",
            (totp_secret, step, user_id),
        )
        return replace_recovery_codes(conn, user_id)


def replace_recovery_codes(conn: Connection, user_id: int) -> list[str]:
    """Throw away the old recovery codes and return ten new ones (shown once)."""
    codes = totp.new_recovery_codes()
    with transaction(conn):
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        conn.executemany(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)",
            [(user_id, totp.hash_recovery_code(code)) for code in codes],
        )
    return codes


def use_step(conn: Connection, user_id: int, step: int) -> bool:
    """Record a used step; False if it (or a later one) was used already (race-safe)."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE users SET totp_last_step = ? WHERE id = ?"
            " AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)",
            (step, user_id, step),
        )
    return cursor.rowcount == 1


def use_recovery_code(conn: Connection, user_id: int, code: str) -> bool:
    """Spend a recovery code: True once per code, then never again."""
    with transaction(conn):
        cursor = conn.execute(
            "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?",
            (user_id, totp.hash_recovery_code(code)),
        )
    return cursor.rowcount == 1


def recovery_codes_left(conn: Connection, user_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ?", (user_id,)
    ).fetchone()[0]


def reset(conn: Connection, user_id: int) -> None:
    """Forget the second factor (a lost phone); the person enrols again."""
    with transaction(conn):
        conn.execute(
            "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = ?", (user_id,)
        )
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))


def matches(conn: Connection, user_id: int, typed: str, now: int) -> bool:
    """Whether ``typed`` is a fresh TOTP code (its step is then used up) or an unused
    recovery code (then spent, and audited).
    """
    found, last_step = secret(conn, user_id)
    if found is None or len(typed) > MAX_CODE:
        return False
    step = totp.verify_code(found, typed, now, last_step)
    if step is not None:
        return use_step(conn, user_id, step)
    if use_recovery_code(conn, user_id, typed):
        audit.record(conn, now, user_id, "recovery_code.used")
        return True
    return False
