"""The stylesheet's rules that can be checked without a browser: contrast of the focus
ring, destructive buttons, codes that never break, the QR code only off phones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCE = (Path(__file__).resolve().parent.parent / "casework/static/casework.css").read_text()
CSS = re.sub(r"/\*.*?\*/", "", SOURCE, flags=re.S)


def variables() -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", CSS))


def rule(selector: str) -> str:
    """The declarations of the first rule whose selector list holds ``selector``."""
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", CSS):
        if selector in [s.strip() for s in selectors.split(",")]:
            return body
    raise AssertionError(f"no rule for {selector}")


def colour(value: str) -> str:
    value = value.strip()
    match = re.fullmatch(r"var\(--([\w-]+)\)", value)
    return variables()[match.group(1)] if match else {"#fff": "#ffffff"}.get(value, value)


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(
    ("a", "b", "ratio"), [("#000000", "#ffffff", 21.0), ("#777777", "#ffffff", 4.48)]
)
def test_contrast_is_computed_as_wcag_defines_it(a, b, ratio):
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("background", ["var(--paper)", "#fff"])
def test_the_focus_ring_stands_out_3_to_1_from_page_and_cards(background):
    ring = re.search(r"outline:\s*\d+px solid ([^;]+);", rule(":focus-visible")).group(1)
    assert contrast(colour(ring), colour(background)) >= 3


def test_destructive_buttons_have_their_own_style():
    button = rule(".button")
    normal = re.search(r"background:\s*([^;]+);", button).group(1)
    for selector in ("a.button.danger", "button.danger"):
        body = rule(selector)
        assert "--urgent" in body and normal.strip() not in body, selector
    assert contrast(colour("var(--urgent)"), "#ffffff") >= 4.5  # red text on white


def test_codes_never_break_across_lines():
    assert "white-space: nowrap" in rule("code")
    assert "white-space: nowrap" in rule(".code")


def test_the_qr_code_is_hidden_on_a_phone_and_the_key_never_is():
    phone = CSS.split("@media (max-width: 40rem), (pointer: coarse) {", 1)[1].split("}\n}", 1)[0]
    assert ".qr" in phone and "display: none" in phone
    assert "secret" not in phone
