"""Time-based one-time codes (RFC 6238) and one-time recovery codes.

TOTP uses what authenticator apps expect: SHA1, 6 digits, 30-second steps. A code is
accepted for the current step and one step either side, and never for a step at or
before the last one used, so a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import unicodedata

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.hotp import HOTP
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from casework.rules.codes import ALPHABET

DIGITS = 6
TIME_STEP = 30
WINDOW = 1
SECRET_BYTES = 20
RECOVERY_GROUPS = 3
RECOVERY_GROUP_SIZE = 4

_CODE_SHAPE = re.compile(f"[0-9]{{{DIGITS}}}")


def new_secret() -> bytes:
    """Return a new random 160-bit TOTP secret (the size RFC 4226 recommends)."""
    return secrets.token_bytes(SECRET_BYTES)


def secret_to_base32(secret: bytes) -> str:
    """Return the secret in base32 without padding, as authenticator apps take it."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def format_secret_for_reading(secret: bytes) -> str:
    """Return the base32 secret in groups of 4 for typing it in by hand."""
    text = secret_to_base32(secret)
    return " ".join(text[start : start + 4] for start in range(0, len(text), 4))


def base32_to_secret(text: str) -> bytes:
    """Decode a base32 secret, ignoring case, spaces, dashes and missing padding.

    Raises ValueError when the text is not base32.
    """
    compact = re.sub(r"[\s-]", "", text).upper()
    padded = compact + "=" * (-len(compact) % 8)
    return base64.b32decode(padded)


def _hotp(secret: bytes) -> HOTP:
    # HMAC-SHA1 is what authenticator apps implement, and HMAC does not rely on collisions
    return HOTP(secret, DIGITS, SHA1())  # noqa: S303


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), TIME_STEP)  # noqa: S303


def provisioning_uri(secret: bytes, account: str, issuer: str = "casework") -> str:
    """Return the ``otpauth://totp/...`` URI that enrols `secret` in an authenticator app."""
    return _totp(secret).get_provisioning_uri(account, issuer)


def qr_svg(uri: str, title: str) -> str:
    """Return `uri` as an inline SVG QR code, fit for a page with a strict CSP.

    No XML declaration, script, external reference or style attribute; `title` (escaped
    by segno) names the image for screen readers. A white background keeps it scannable
    on dark themes.
    """
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, title=title, light="#fff", svgclass="qr", lineclass=None)
    # segno emits no style attribute today; removing any keeps the CSP promise on upgrades
    svg = re.sub(r'\sstyle="[^"]*"', "", svg)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def step_at(when: float) -> int:
    """Return the TOTP time step number for a Unix time."""
    return int(when // TIME_STEP)


def code_at(secret: bytes, when: float) -> str:
    """Return the code an authenticator app shows at Unix time `when`."""
    return _hotp(secret).generate(step_at(when)).decode("ascii")


def verify_code(secret: bytes, code: str, now: float, last_used_step: int | None) -> int | None:
    """Check a typed code; return the step it matched (store it as last_used_step) or None.

    Accepts steps now-1, now and now+1; refuses any step <= last_used_step, so a used
    code is refused a second time. Spaces in the code are ignored. The comparison is
    constant-time (cryptography's HOTP.verify).
    """
    typed = "".join(code.split())
    if not _CODE_SHAPE.fullmatch(typed):
        return None
    hotp = _hotp(secret)
    current = step_at(now)
    accepted = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if step < 0 or (last_used_step is not None and step <= last_used_step):
            continue
        try:
            hotp.verify(typed.encode("ascii"), step)
        except InvalidToken:
            continue
        accepted = step  # keep the latest match so every earlier step is then used up
    return accepted


def new_recovery_codes(n: int = 10) -> list[str]:
    """Return `n` one-time recovery codes like ``7KQ4-M2XP-9HTD`` (≈ 59 bits each)."""
    size = RECOVERY_GROUPS * RECOVERY_GROUP_SIZE
    codes = []
    for _ in range(n):
        symbols = "".join(secrets.choice(ALPHABET) for _ in range(size))
        groups = [
            symbols[start : start + RECOVERY_GROUP_SIZE]
            for start in range(0, size, RECOVERY_GROUP_SIZE)
        ]
        codes.append("-".join(groups))
    return codes


def normalise_recovery_code(text: str) -> str:
    """Return the typed recovery code upper-cased, without spaces or dashes."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(
        char for char in folded if not (char.isspace() or unicodedata.category(char) == "Pd")
    )


def hash_recovery_code(code: str) -> str:
    """Return the SHA-256 hex digest of the normalised code, for storage.

    A fast hash is enough: the codes are ~59 random bits, beyond any guessing.
    """
    normalised = normalise_recovery_code(code).encode("utf-8", "surrogatepass")
    return hashlib.sha256(normalised).hexdigest()
