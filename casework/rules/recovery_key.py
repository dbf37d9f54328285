"""The recovery key: 32 random bytes written as symbols that are easy to read aloud and type.

Same alphabet as case codes (31 symbols, no 0/1/I/L/O). 32 bytes need 52 base-31 symbols;
they are split into two halves of 26, each followed by its own check symbol computed like
a case code's (weights 1..27 modulo the prime 31), so a mistyped symbol or two swapped
neighbours within a half is always reported as a typo instead of being tried. The 54
symbols are shown in 9 groups of 6; dashes, spaces and case do not matter when typed.
"""

from __future__ import annotations

import secrets
import unicodedata

from casework.rules.codes import ALPHABET, BASE, check_symbol

KEY_BYTES = 32
DATA_SYMBOLS = 52
HALF = DATA_SYMBOLS // 2
LENGTH = DATA_SYMBOLS + 2
GROUP = 6
_MAX_INPUT = 200
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}


class RecoveryKeyTypo(ValueError):
    """The text is not a well-formed recovery key (a symbol is wrong, missing or extra)."""


def new() -> bytearray:
    """32 fresh random bytes (a bytearray, so that it can be overwritten when done)."""
    return bytearray(secrets.token_bytes(KEY_BYTES))


def encode(key: bytes | bytearray) -> str:
    """The key in its written form: 9 groups of 6 symbols."""
    if len(key) != KEY_BYTES:
        raise ValueError("a recovery key is 32 bytes")
    number, symbols = int.from_bytes(key, "big"), []
    for _ in range(DATA_SYMBOLS):
        number, value = divmod(number, BASE)
        symbols.append(ALPHABET[value])
    data = "".join(reversed(symbols))
    first, second = data[:HALF], data[HALF:]
    written = first + check_symbol(first) + second + check_symbol(second)
    return "-".join(written[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def looks_like(text: str) -> bool:
    """Whether ``text`` is shaped like a recovery key (right length once cleaned up).

    A passphrase of 54 symbols from this alphabet would also match: callers try it as a
    recovery key only when it decodes, and as a passphrase otherwise.
    """
    cleaned = _clean(text)
    return cleaned is not None and len(cleaned) == LENGTH


def decode(text: str) -> bytearray:
    """The 32 bytes a typed recovery key stands for; RecoveryKeyTypo when it is mistyped."""
    cleaned = _clean(text)
    if cleaned is None or len(cleaned) != LENGTH:
        raise RecoveryKeyTypo("check the recovery key")
    first, second = cleaned[: HALF + 1], cleaned[HALF + 1 :]
    for half in (first, second):
        if check_symbol(half[:-1]) != half[-1]:
            raise RecoveryKeyTypo("check the recovery key")
    number = 0
    for symbol in first[:-1] + second[:-1]:
        number = number * BASE + _VALUES[symbol]
    if number >= 1 << (8 * KEY_BYTES):
        raise RecoveryKeyTypo("check the recovery key")
    return bytearray(number.to_bytes(KEY_BYTES, "big"))


def _clean(text: str) -> str | None:
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        return None
    folded = unicodedata.normalize("NFKC", text).upper()
    kept = "".join(c for c in folded if not (c.isspace() or unicodedata.category(c) == "Pd"))
    if any(c not in _VALUES for c in kept):
        return None
    return kept
