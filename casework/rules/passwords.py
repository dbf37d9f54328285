"""Password hashing (Argon2id) and the rules a new password must meet.

Rules return problem codes, not prose: the UI layer translates them. Passwords are
NFC-normalised before hashing so the same characters typed on different devices match.
"""

from __future__ import annotations

import functools
import importlib.resources
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_HANDLE_LENGTH = 3

TOO_SHORT = "too_short"
TOO_LONG = "too_long"
CONTROL_CHARS = "control_chars"
COMMON = "common"
CONTAINS_HANDLE = "contains_handle"


@dataclass(frozen=True)
class HashParams:
    """Argon2id cost parameters; the defaults are argon2-cffi's (RFC 9106 low-memory)."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


def _hasher(params: HashParams) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        type=Type.ID,
    )


def _password_bytes(password: str) -> bytes:
    # surrogatepass: odd input must fail verification, never raise UnicodeEncodeError
    return unicodedata.normalize("NFC", password).encode("utf-8", "surrogatepass")


def hash_password(password: str, params: HashParams) -> str:
    """Return an Argon2id hash string (salt and parameters included) for `password`."""
    return _hasher(params).hash(_password_bytes(password))


def verify_password(stored_hash: str, password: str, params: HashParams) -> tuple[bool, str | None]:
    """Check `password` against `stored_hash`.

    Returns (ok, new_hash): new_hash is set when the password matched but the stored
    hash used other parameters than `params`, so the caller can store the upgrade.
    A malformed or foreign hash gives (False, None); this never raises for bad input.
    """
    hasher = _hasher(params)
    try:
        hasher.verify(stored_hash, _password_bytes(password))
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        return False, None
    if hasher.check_needs_rehash(stored_hash):
        return True, hasher.hash(_password_bytes(password))
    return True, None


@functools.cache
def _dummy_hash(params: HashParams) -> str:
    return hash_password(secrets.token_urlsafe(24), params)


def dummy_verify(password: str, params: HashParams) -> tuple[bool, None]:
    """Spend the time of a real verification, then fail.

    Sign-in calls this for an unknown handle so that it takes as long as a wrong
    password for a known one and timing does not reveal which handles exist.
    """
    verify_password(_dummy_hash(params), password, params)
    return False, None


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower case), loaded once."""
    resource = importlib.resources.files("casework") / "data" / "common_passwords.txt"
    text = resource.read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@functools.cache
def _longest_common() -> int:
    return max(map(len, common_passwords()))


def _is_filler(char: str) -> bool:
    # digits, punctuation, symbols and spaces: what people append to a known word
    return char.isdigit() or char.isspace() or unicodedata.category(char)[0] in "PS"


def is_common(password: str) -> bool:
    """True if `password` is a listed one, alone or followed only by digits/punctuation."""
    lowered = unicodedata.normalize("NFC", password).lower()
    listed = common_passwords()
    if lowered in listed:
        return True
    longest = _longest_common()
    end = len(lowered)
    # try every prefix followed only by filler; slice only when it could be listed
    while end > 0 and _is_filler(lowered[end - 1]):
        end -= 1
        if end <= longest and lowered[:end] in listed:
            return True
    return False


def _has_control_chars(password: str) -> bool:
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in password)


def _contains_handle(password: str, handle: str | None) -> bool:
    if handle is None:
        return False
    needle = unicodedata.normalize("NFC", handle).strip().lower()
    if len(needle) < MIN_HANDLE_LENGTH:
        return False
    return needle in unicodedata.normalize("NFC", password).lower()


def check_password_rules(password: str, *, handle: str | None = None) -> list[str]:
    """Return the problem codes for a proposed password; an empty list means acceptable.

    Codes, in this order: "too_short", "too_long" (code points after NFC),
    "control_chars", "common", "contains_handle".
    """
    length = len(unicodedata.normalize("NFC", password))
    checks = [
        (TOO_SHORT, length < MIN_LENGTH),
        (TOO_LONG, length > MAX_LENGTH),
        (CONTROL_CHARS, _has_control_chars(password)),
        (COMMON, is_common(password)),
        (CONTAINS_HANDLE, _contains_handle(password, handle)),
    ]
    return [code for code, failed in checks if failed]
