"""TOTP codes, enrolment URI and QR code, and recovery codes."""

import math
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from casework.rules import totp
from casework.rules.codes import ALPHABET

RFC_SECRET = b"12345678901234567890"
# a Unix time in the middle of step 1_000_000 (not on an edge)
NOW = 1_000_000 * 30 + 15.0
STEP = 1_000_000


@pytest.mark.parametrize(
    ("when", "rfc_code"),
    [  # RFC 6238 appendix B, SHA1 column (8 digits)
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_sha1_vectors(when, rfc_code):
    assert totp.code_at(RFC_SECRET, when) == rfc_code[-6:]
    assert totp.verify_code(RFC_SECRET, rfc_code[-6:], when, None) == totp.step_at(when)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-2, False), (-1, True), (0, True), (1, True), (2, False), (-10, False), (10, False)],
)
def test_window_is_one_step_either_side(offset, accepted):
    code = totp.code_at(RFC_SECRET, NOW + offset * 30)
    expected = STEP + offset if accepted else None
    assert totp.verify_code(RFC_SECRET, code, NOW, None) == expected


@pytest.mark.parametrize("when", [STEP * 30, STEP * 30 + 29.999])
def test_step_edges(when):
    assert totp.step_at(when) == STEP
    assert totp.verify_code(RFC_SECRET, totp.code_at(RFC_SECRET, when), NOW, None) == STEP


@pytest.mark.parametrize(
    ("code_offset", "last_used_offset", "accepted"),
    [
        (0, 0, False),  # the same step a second time
        (-1, 0, False),  # an older step after a newer one was used
        (-1, -1, False),
        (1, 1, False),
        (0, -1, True),
        (1, 0, True),
        (1, -5, True),
    ],
)
def test_used_and_older_steps_are_refused(code_offset, last_used_offset, accepted):
    code = totp.code_at(RFC_SECRET, NOW + code_offset * 30)
    result = totp.verify_code(RFC_SECRET, code, NOW, STEP + last_used_offset)
    assert result == (STEP + code_offset if accepted else None)


def test_replay_of_an_accepted_code_is_refused():
    code = totp.code_at(RFC_SECRET, NOW)
    used = totp.verify_code(RFC_SECRET, code, NOW, None)
    assert used == STEP
    assert totp.verify_code(RFC_SECRET, code, NOW + 5, used) is None


@pytest.mark.parametrize(
    "shape", ["{c}", " {c} ", "{a} {b}", "{a}\t{b}", "{a}  {b}\n", "{d} {e} {f}"]
)
def test_spaces_in_the_code_are_tolerated(shape):
    code = totp.code_at(RFC_SECRET, NOW)
    typed = shape.format(c=code, a=code[:3], b=code[3:], d=code[:2], e=code[2:4], f=code[4:])
    assert totp.verify_code(RFC_SECRET, typed, NOW, None) == STEP


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345",
        "1234567",
        "abcdef",
        "12-34-56",
        "１２３４５６",
        "١٢٣٤٥٦",
        "12345\x00",
        "9" * 10_000,
    ],
)
def test_malformed_codes_are_refused(typed):
    assert totp.verify_code(RFC_SECRET, typed, NOW, None) is None


def test_wrong_code_is_refused():
    code = totp.code_at(RFC_SECRET, NOW)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert totp.verify_code(RFC_SECRET, wrong, NOW, None) is None


def test_near_epoch_does_not_raise():
    assert totp.verify_code(RFC_SECRET, totp.code_at(RFC_SECRET, 1), 1, None) == 0


def test_new_secret_is_random_160_bits():
    secrets_made = {totp.new_secret() for _ in range(100)}
    assert len(secrets_made) == 100
    assert all(len(secret) == 20 for secret in secrets_made)


@pytest.mark.parametrize("secret", [RFC_SECRET, bytes(20), bytes(range(20)), b"\xff" * 16])
def test_base32_round_trip_without_padding(secret):
    text = totp.secret_to_base32(secret)
    assert "=" not in text
    assert re.fullmatch(r"[A-Z2-7]+", text)
    assert totp.base32_to_secret(text) == secret
    assert totp.base32_to_secret(text.lower()) == secret
    assert totp.base32_to_secret(totp.format_secret_for_reading(secret)) == secret


def test_format_secret_for_reading_groups_of_four():
    shown = totp.format_secret_for_reading(RFC_SECRET)
    assert shown == "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"


@pytest.mark.parametrize("text", ["not base32!", "GEZD1", "ABC=DEF"])
def test_base32_to_secret_refuses_garbage(text):
    with pytest.raises(ValueError):
        totp.base32_to_secret(text)


@pytest.mark.parametrize("account", ["alice", "al ice", "ré:mi/é?&=", "日本"])
def test_provisioning_uri(account):
    uri = totp.provisioning_uri(RFC_SECRET, account)
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == f"/casework:{account}"
    query = parse_qs(parts.query)
    secret = query.pop("secret")
    assert totp.base32_to_secret(secret[0]) == RFC_SECRET
    assert query == {
        "digits": ["6"],
        "algorithm": ["SHA1"],
        "issuer": ["casework"],
        "period": ["30"],
    }


@pytest.mark.parametrize("title", ["Scan this code", '<script>alert(1)</script> & "q"'])
def test_qr_svg_is_inline_safe_and_titled(title):
    svg = totp.qr_svg(totp.provisioning_uri(RFC_SECRET, "alice"), title)
    assert svg.startswith("<svg ")
    root = ET.fromstring(svg)  # noqa: S314 -- our own output, parsed to inspect it
    assert root.get("role") == "img"
    assert (root[0].tag, root[0].text) == ("title", title)
    for element in root.iter():
        assert element.tag not in ("script", "style", "image", "use", "foreignObject", "a")
        for attribute in element.attrib:
            assert attribute != "style" and not attribute.startswith("on")
            assert "href" not in attribute
    assert "<script" not in svg


@pytest.mark.parametrize("n", [1, 10, 16])
def test_recovery_codes_shape_and_uniqueness(n):
    made = totp.new_recovery_codes(n)
    assert len(made) == len(set(made)) == n
    group = f"[{ALPHABET}]{{4}}"
    assert all(re.fullmatch(f"{group}-{group}-{group}", code) for code in made)


def test_recovery_codes_have_at_least_50_bits():
    assert len(totp.new_recovery_codes(1)[0].replace("-", "")) * math.log2(len(ALPHABET)) >= 50
    assert len(totp.new_recovery_codes()) == 10


@pytest.mark.parametrize(
    "typed",
    ["7KQ4-M2XP-9HTD", "7kq4m2xp9htd", " 7KQ4 M2XP 9HTD ", "7kq4-m2xp–9htd", "7KQ4--M2XP\t9HTD"],
)
def test_recovery_code_normalisation_and_hash(typed):
    assert totp.normalise_recovery_code(typed) == "7KQ4M2XP9HTD"
    assert totp.hash_recovery_code(typed) == totp.hash_recovery_code("7KQ4-M2XP-9HTD")
    assert re.fullmatch(r"[0-9a-f]{64}", totp.hash_recovery_code(typed))


def test_different_recovery_codes_hash_differently():
    first, second = totp.new_recovery_codes(2)
    assert totp.hash_recovery_code(first) != totp.hash_recovery_code(second)
    assert first.replace("-", "") not in totp.hash_recovery_code(first)


@given(st.text(alphabet=ALPHABET, min_size=12, max_size=12), st.sampled_from(["", " ", "-"]))
def test_recovery_hash_ignores_case_and_separators(symbols, sep):
    shown = "-".join([symbols[:4], symbols[4:8], symbols[8:]])
    typed = sep.join([symbols[:4].lower(), symbols[4:8], symbols[8:].lower()])
    assert totp.hash_recovery_code(typed) == totp.hash_recovery_code(shown)


@given(st.text(max_size=20))
def test_verify_code_never_raises(text):
    assert totp.verify_code(RFC_SECRET, text, NOW, None) in (None, STEP - 1, STEP, STEP + 1)


def test_every_symbol_of_a_recovery_code_is_random():
    made = [code.replace("-", "") for code in totp.new_recovery_codes(200)]
    for position in range(totp.RECOVERY_GROUPS * totp.RECOVERY_GROUP_SIZE):
        # 200 draws from 31 symbols: a random position shows well over 15 of them
        assert len({code[position] for code in made}) >= 15, position


@pytest.mark.parametrize("secret", [bytes(19) + b"\x17", b"\xff" * 9 + b"\xf7"])
def test_a_secret_whose_base32_ends_in_x_round_trips(secret):
    text = totp.secret_to_base32(secret)
    assert text.endswith("X")
    assert totp.base32_to_secret(text) == secret
    assert totp.base32_to_secret(totp.format_secret_for_reading(secret)) == secret


def test_a_recovery_code_with_a_lone_surrogate_hashes_without_error():
    typed = "7KQ4-M2XP-9HT\ud800"
    digest = totp.hash_recovery_code(typed)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest != totp.hash_recovery_code("7KQ4-M2XP-9HT")


def test_qr_svg_is_large_enough_with_medium_error_correction_on_white():
    uri = totp.provisioning_uri(RFC_SECRET, "alice")
    root = ET.fromstring(totp.qr_svg(uri, "Scan this code"))  # noqa: S314 -- our own output
    # 4 pixels a module, error correction M (a scratched screen still scans), quiet zone
    width, height = segno.make(uri, error="m").symbol_size(scale=4)
    assert (root.get("width"), root.get("height")) == (str(width), str(height))
    assert root.get("class") == "qr"  # what the stylesheet sizes
    fills = [element.get("fill") for element in root.iter() if element.get("fill")]
    assert "#fff" in fills  # a white background keeps it readable on dark themes
