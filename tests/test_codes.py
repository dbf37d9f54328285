"""Case codes: layout, check symbol strength, and forgiving but safe normalisation."""

import math
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.rules import codes
from casework.rules.codes import ALPHABET, check_symbol, new_case_code, normalise_case_code

CANONICAL = re.compile(r"[%s]{3}-[%s]{4}-[%s]{3}" % ((ALPHABET,) * 3))


def _code(body: str) -> str:
    symbols = body + check_symbol(body)
    return f"{symbols[:3]}-{symbols[3:7]}-{symbols[7:]}"


# a fixed valid code for the tables below
SAMPLE = _code("K7M4QX2P9")


def _sample_codes(count: int) -> list[str]:
    # seeded so a failure names a reproducible code
    rng = random.Random(20260101)
    bodies = ("".join(rng.choice(ALPHABET) for _ in range(9)) for _ in range(count))
    return [_code(body) for body in bodies]


def test_alphabet_has_no_look_alikes_and_prime_size():
    assert len(set(ALPHABET)) == len(ALPHABET) == 31
    assert not set("01ILO") & set(ALPHABET)
    assert all(len(ALPHABET) % d for d in range(2, len(ALPHABET)))


def test_new_code_shape_entropy_and_validity():
    made = [new_case_code() for _ in range(1000)]
    assert all(CANONICAL.fullmatch(code) for code in made)
    assert all(normalise_case_code(code) == code for code in made)
    assert len(set(made)) == len(made)
    assert codes.RANDOM_SYMBOLS * math.log2(len(ALPHABET)) >= 40


def test_every_single_substitution_is_detected():
    for code in _sample_codes(500):
        symbols = code.replace("-", "")
        for position, original in enumerate(symbols):
            for other in ALPHABET.replace(original, ""):
                typo = symbols[:position] + other + symbols[position + 1 :]
                assert normalise_case_code(typo) is None, (code, typo)


def test_every_adjacent_transposition_is_detected():
    checked = 0
    for code in _sample_codes(500):
        symbols = code.replace("-", "")
        for position in range(len(symbols) - 1):
            first, second = symbols[position], symbols[position + 1]
            if first == second:
                continue  # swapping equal symbols changes nothing
            typo = symbols[:position] + second + first + symbols[position + 2 :]
            assert normalise_case_code(typo) is None, (code, typo)
            checked += 1
    assert checked > 4000


@pytest.mark.parametrize(
    "typed",
    [
        SAMPLE,
        SAMPLE.lower(),
        SAMPLE.replace("-", ""),
        SAMPLE.replace("-", " "),
        f"  {SAMPLE}\n",
        SAMPLE.replace("-", "--"),
        "-".join(SAMPLE.replace("-", "")),
        SAMPLE.replace("-", "\u2013"),  # en dash from a word processor
        SAMPLE.translate({ord(c): ord(c) + 0xFEE0 for c in SAMPLE if c != "-"}),  # full width
        SAMPLE[:5].lower() + SAMPLE[5:],
    ],
)
def test_normalise_accepts_format_variations(typed):
    assert normalise_case_code(typed) == SAMPLE


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "empty"),
        (SAMPLE[:-1], "one symbol short"),
        (SAMPLE + "2", "one symbol long"),
        (SAMPLE[:-1] + ALPHABET[(ALPHABET.index(SAMPLE[-1]) + 1) % 31], "wrong check"),
        (SAMPLE.replace("K", "0"), "zero is not in the alphabet"),
        (SAMPLE.replace("K", "O"), "letter O is not in the alphabet"),
        (SAMPLE.replace("K", "I"), "letter I is not in the alphabet"),
        (SAMPLE.replace("K", "1"), "digit 1 is not in the alphabet"),
        (SAMPLE.replace("-", "."), "dots are not separators"),
        (SAMPLE.replace("-", "\x00"), "NUL byte"),
        (" " * 100 + SAMPLE, "absurdly padded"),
        ("K" * 1_000_000, "a megabyte"),
    ],
)
def test_normalise_refuses(typed, why):
    assert normalise_case_code(typed) is None, why


@st.composite
def _typed_variants(draw):
    body = draw(st.text(alphabet=ALPHABET, min_size=9, max_size=9))
    code = _code(body)
    symbols = code.replace("-", "")
    separators = draw(
        st.lists(st.sampled_from(["", " ", "-", "  ", "\t", "- "]), min_size=11, max_size=11)
    )
    lower = draw(st.lists(st.booleans(), min_size=10, max_size=10))
    cased = [s.lower() if low else s for s, low in zip(symbols, lower, strict=True)]
    typed = separators[0] + "".join(
        symbol + sep for symbol, sep in zip(cased, separators[1:], strict=True)
    )
    return code, typed


@given(_typed_variants())
def test_normalise_of_any_format_variation_is_the_code(variant):
    code, typed = variant
    assert normalise_case_code(typed) == code


@given(st.text(max_size=40))
def test_normalise_never_raises_and_only_returns_valid_codes(text):
    result = normalise_case_code(text)
    assert result is None or (CANONICAL.fullmatch(result) and normalise_case_code(result))


def test_input_up_to_64_characters_is_read_and_longer_is_refused():
    padded = SAMPLE.center(64)
    assert normalise_case_code(padded) == SAMPLE
    assert normalise_case_code(padded + " ") is None
