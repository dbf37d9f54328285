"""Pseudonymous case codes, readable over the phone, with a check character.

Alphabet: the 31 symbols ``23456789ABCDEFGHJKMNPQRSTUVWXYZ`` — digits and capitals
without 0, 1, I, L and O. Both sides of each look-alike pair (0/O, 1/I/L) are left out,
so there is nothing to map: a code never contains them, and typing one is refused.
31 is prime, which is what makes the check character strong (below).

Layout: 9 random symbols (secrets module, 9 × log2(31) ≈ 44.6 bits) and 1 check
symbol, shown in groups of 3-4-3 such as ``K7M-4QX2-P9R`` (the last symbol is the
check). Groups of 3 and 4 are easy to read aloud; 3-4-3 is also not a phone-number
shape, so a code in a note never looks like a phone number to the identifier guard.

Check symbol: with values v0..v9 (index in the alphabet), the code is valid when
sum((i + 1) * v_i) ≡ 0 (mod 31). The weights 1..10 are distinct and non-zero modulo
the prime 31, so a single substitution (changes the sum by w·d, d ≠ 0) and any
transposition of two different symbols (changes it by (w_i - w_j)·d) are always caught.
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BASE = len(ALPHABET)
RANDOM_SYMBOLS = 9
CODE_LENGTH = RANDOM_SYMBOLS + 1
GROUPS = (3, 4, 3)
SEPARATOR = "-"
# longer input cannot be a code even with generous spacing; refuse before normalising
_MAX_INPUT = 64

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}


def check_symbol(body: str) -> str:
    """Return the check symbol completing `body` (the 9 random symbols, canonical form)."""
    total = sum((position + 1) * _VALUES[symbol] for position, symbol in enumerate(body))
    weight = len(body) + 1
    # solve total + weight * v ≡ 0 (mod BASE) for v; BASE is prime so weight is invertible
    return ALPHABET[(-total * pow(weight, -1, BASE)) % BASE]


def _format(symbols: str) -> str:
    groups, start = [], 0
    for size in GROUPS:
        groups.append(symbols[start : start + size])
        start += size
    return SEPARATOR.join(groups)


def _new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return _format(body + check_symbol(body))


def new_case_code() -> str:
    """Return a new random case code in canonical form, e.g. ``K7M-4QX2-P9R``."""
    return _new_code()


def new_invite_code() -> str:
    """Return a new short code for an invite or reset link, read aloud and typed at /join.

    Same alphabet, length and check symbol as a case code, so a typo is caught the same way.
    """
    return _new_code()


def _strip_separators(text: str) -> str:
    # NFKC folds full-width letters and digits from phone keyboards to ASCII
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(
        char for char in folded if not (char.isspace() or unicodedata.category(char) == "Pd")
    )


def normalise_case_code(text: str) -> str | None:
    """Return the canonical code for what someone typed, or None if it cannot be one.

    Accepts lower case and missing, extra or misplaced spaces and dashes. Returns None
    for a wrong length, a symbol outside the alphabet or a failing check symbol, so a
    typo is reported as "check the code" instead of reaching another case.
    """
    if len(text) > _MAX_INPUT:
        return None
    symbols = _strip_separators(text)
    if len(symbols) != CODE_LENGTH or any(char not in _VALUES for char in symbols):
        return None
    if check_symbol(symbols[:-1]) != symbols[-1]:
        return None
    return _format(symbols)
