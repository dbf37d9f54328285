"""Password hashing, verification and the rules for new passwords."""

import importlib.resources
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.rules import passwords
from casework.rules.passwords import (
    HashParams,
    check_password_rules,
    dummy_verify,
    hash_password,
    verify_password,
)

CHEAP = HashParams(time_cost=1, memory_kib=8, parallelism=1)
GOOD = "violet kettle harbour 42"


def test_defaults_are_argon2_cffi_defaults_or_stronger():
    params = HashParams()
    assert params.time_cost >= 3
    assert params.memory_kib >= 65536
    assert params.parallelism >= 4


def test_hash_is_argon2id_with_the_given_parameters_and_a_fresh_salt():
    first, second = hash_password(GOOD, CHEAP), hash_password(GOOD, CHEAP)
    assert first.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert first != second
    assert GOOD not in first


def test_right_password_verifies_without_rehash():
    assert verify_password(hash_password(GOOD, CHEAP), GOOD, CHEAP) == (True, None)


@pytest.mark.parametrize(
    "attempt", ["", GOOD.upper(), GOOD + " ", GOOD[:-1], "\ud800", "x\x00" + GOOD]
)
def test_wrong_password_is_refused(attempt):
    assert verify_password(hash_password(GOOD, CHEAP), attempt, CHEAP) == (False, None)


def test_unicode_forms_verify_alike():
    decomposed = unicodedata.normalize("NFD", "crème brûlée à l'été")
    composed = unicodedata.normalize("NFC", decomposed)
    assert decomposed != composed
    assert verify_password(hash_password(decomposed, CHEAP), composed, CHEAP) == (True, None)


def test_changed_parameters_give_a_new_hash_on_success():
    stronger = HashParams(time_cost=2, memory_kib=16, parallelism=1)
    ok, new_hash = verify_password(hash_password(GOOD, CHEAP), GOOD, stronger)
    assert ok
    assert new_hash.startswith("$argon2id$v=19$m=16,t=2,p=1$")
    assert verify_password(new_hash, GOOD, stronger) == (True, None)


def test_no_rehash_is_offered_on_a_wrong_password():
    stronger = HashParams(time_cost=2, memory_kib=16, parallelism=1)
    assert verify_password(hash_password(GOOD, CHEAP), "wrong", stronger) == (False, None)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$",
        "$argon2id$v=19$m=8,t=1,p=1$!!!$???",
        "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$é",
        "\x00" * 100,
    ],
)
def test_malformed_hash_never_raises(stored):
    assert verify_password(stored, GOOD, CHEAP) == (False, None)


def test_dummy_verify_fails_and_costs_a_real_verification():
    params = HashParams(time_cost=2, memory_kib=8192, parallelism=1)
    real = hash_password(GOOD, params)
    assert dummy_verify(GOOD, params) == (False, None)  # also builds the cached dummy hash

    def fastest(call):
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            call()
            timings.append(time.perf_counter() - start)
        return min(timings)

    wrong = fastest(lambda: verify_password(real, "wrong", params))
    dummy = fastest(lambda: dummy_verify("wrong", params))
    assert wrong / 3 < dummy < wrong * 3


@pytest.mark.parametrize(
    ("password", "handle", "problems"),
    [
        (GOOD, None, []),
        ("correct horse battery", "maryam", []),
        ("short", None, ["too_short"]),
        ("elevenchars", None, ["too_short"]),
        ("twelve chars", None, []),
        ("é" * 12, None, []),
        ("e\u0301" * 11, None, ["too_short"]),  # 22 code points, 11 after NFC
        ("Zq7!" * 32, None, []),  # exactly 128
        ("Zq7!" * 32 + "x", None, ["too_long"]),
        ("password1234", None, ["common"]),
        ("PASSWORD1234", None, ["common"]),
        ("Password1234!!", None, ["common"]),
        ("password!!!!", None, ["common"]),
        ("password$$++^^", None, ["common"]),  # symbols (Unicode S*) count as filler
        ("password", None, ["too_short", "common"]),
        ("motdepasse123", None, ["common"]),
        ("MotDePasse2026!", None, ["common"]),
        ("contraseña123", None, ["common"]),
        ("Contrase\u00f1a2026!", None, ["common"]),
        ("contrasen\u0303a2026!", None, ["common"]),  # decomposed ñ
        ("qwertyuiop123", None, ["common"]),
        ("1234567890123", None, ["common"]),
        ("iloveyou1234", None, ["common"]),
        ("azertyuiop12", None, ["common"]),
        ("1qaz2wsx3edc", None, ["common"]),
        ("montreal2026", None, ["common"]),
        ("Montreal 2026!", None, ["common"]),
        ("solidarite123", None, ["common"]),
        ("Canadiens2026", None, ["common"]),
        ("xpassword1234", None, []),
        ("password1234x", None, []),
        ("montreal est belle", None, []),
        ("correct horse\x00battery", None, ["control_chars"]),
        ("\tcorrect horse battery", None, ["control_chars"]),
        ("correct horse battery\ud800", None, ["control_chars"]),
        ("correct\u200bhorse battery", None, []),  # zero-width space is Cf, not Cc
        ("maryam-rocks-the-casework", "Maryam", ["contains_handle"]),
        ("xxali-horse-battery", "ALI", ["contains_handle"]),
        ("xxal-horse-battery", "al", []),  # handles under 3 characters are ignored
        ("pass\x00", "pass", ["too_short", "control_chars", "contains_handle"]),
    ],
)
def test_password_rules(password, handle, problems):
    assert check_password_rules(password, handle=handle) == problems


def test_huge_input_is_checked_quickly():
    start = time.perf_counter()
    problems = check_password_rules("1" * 1_000_000)
    assert problems == ["too_long", "common"]
    assert time.perf_counter() - start < 2


def test_bundled_list_is_clean_and_large_enough():
    resource = importlib.resources.files("casework") / "data" / "common_passwords.txt"
    lines = resource.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(lines))
    for line in lines:
        assert line == line.strip().lower() == unicodedata.normalize("NFC", line)
        assert line
    assert sum(len(line) >= 12 for line in lines) >= 300
    assert passwords.common_passwords() is passwords.common_passwords()


@pytest.mark.parametrize(
    "entry", ["motdepasse123", "contraseña123", "montreal2026", "solidarite123", "qwertyuiop123"]
)
def test_bundled_list_covers_the_three_languages(entry):
    assert entry in passwords.common_passwords()


@settings(max_examples=200)
@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=20)))
def test_rules_never_raise_and_return_known_codes(password, handle):
    problems = check_password_rules(password, handle=handle)
    known = ["too_short", "too_long", "control_chars", "common", "contains_handle"]
    assert problems == [code for code in known if code in problems]


def test_the_longest_listed_password_with_digits_after_it_is_common():
    longest = max(passwords.common_passwords(), key=len)
    assert passwords.is_common(longest + "2024!")


def test_a_password_with_a_lone_surrogate_fails_without_error():
    stored = hash_password(GOOD, CHEAP)
    assert verify_password(stored, GOOD + "\ud800", CHEAP) == (False, None)
    assert verify_password(hash_password("\ud800" + GOOD, CHEAP), "\ud800" + GOOD, CHEAP)[0]
