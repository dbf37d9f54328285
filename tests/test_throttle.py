"""Sign-in throttling per account and per address, one message (SECURITY.md item 7)."""

from __future__ import annotations

import pytest
from helpers.forms import english, post
from helpers.instance import NOW, PASSWORD

from casework.rules import totp
from casework.web import throttle

TOO_MANY = "Too many attempts. Wait a minute, then try again."
FAILED = "Those sign-in details do not match. Check them and try again."


def from_address(app, address: str):
    client = english(app.test_client())
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, handle: str, password: str):
    return post(client, "/signin", {"handle": handle, "password": password})


def test_sixth_attempt_on_an_account_is_refused_even_with_the_right_password(accounts, app, clock):
    accounts.create("fern", "volunteer")
    for number in range(5):  # each from another address: only the account counts
        assert attempt(from_address(app, f"10.0.0.{number}"), "fern", "wrong").status_code == 200
    sixth = attempt(from_address(app, "10.0.0.99"), "fern", PASSWORD)
    assert sixth.status_code == 429
    assert TOO_MANY in sixth.text
    clock[0] += 61  # the window passes: the right password works again
    assert attempt(from_address(app, "10.0.0.99"), "fern", PASSWORD).status_code == 302


def test_sixth_attempt_from_one_address_is_refused_even_with_the_right_password(
    accounts, app, clock
):
    accounts.create("fern", "volunteer")
    client = from_address(app, "10.0.0.7")
    for number in range(5):  # unknown handles: nothing for the account table to count
        assert attempt(client, f"nobody{number}", "wrong").status_code == 200
    assert attempt(client, "fern", PASSWORD).status_code == 429
    assert attempt(from_address(app, "10.0.0.8"), "fern", PASSWORD).status_code == 302


def test_wrong_codes_count_and_the_sixth_is_refused(accounts, app, clock):
    account = accounts.create("ash")
    clock[0] += 600
    for number in range(4):
        client = from_address(app, f"10.0.1.{number}")
        attempt(client, "ash", PASSWORD)
        assert post(client, "/signin/code", {"code": "000000"}).status_code == 200
    client = from_address(app, "10.0.1.99")
    assert attempt(client, "ash", PASSWORD).headers["Location"] == "/signin/code"
    assert post(client, "/signin/code", {"code": "000000"}).status_code == 200  # the fifth
    refused = post(client, "/signin/code", {"code": totp.code_at(account.secret, clock[0])})
    assert refused.status_code == 429
    assert TOO_MANY in refused.text
    assert attempt(from_address(app, "10.0.1.98"), "ash", PASSWORD).status_code == 429


def failure(app, accounts, kind: str):
    account = accounts.people["ash"]
    client = from_address(app, f"10.0.2.{len(kind)}")
    if kind == "unknown handle":
        return attempt(client, "nobody", PASSWORD)
    if kind == "wrong password":
        return attempt(client, "ash", PASSWORD + "x")
    attempt(client, "ash", PASSWORD)
    wrong = str((int(totp.code_at(account.secret, NOW)) + 1) % 1_000_000).zfill(6)
    return post(client, "/signin/code", {"code": wrong})


def test_one_message_for_unknown_handle_wrong_password_and_wrong_code(accounts, app, clock):
    accounts.create("ash")
    pages = [failure(app, accounts, kind) for kind in ("unknown handle", "wrong password", "code")]
    for page in pages:
        assert page.status_code == 200
        assert FAILED in page.text


def test_one_message_when_throttled_whatever_failed(accounts, app, clock):
    accounts.create("ash")
    for number in range(5):
        attempt(from_address(app, f"10.0.3.{number}"), "ash", "wrong")
    client = from_address(app, "10.0.3.9")
    for handle in ("ash", "nobody"):
        for _ in range(5):
            attempt(client, "nobody", "wrong")
        page = attempt(client, handle, PASSWORD)
        assert page.status_code == 429 and TOO_MANY in page.text


def test_failed_attempts_keep_an_account_id_and_a_time_only(accounts, app, conn, clock):
    accounts.create("fern", "volunteer")
    attempt(from_address(app, "10.0.4.1"), "fern", "a guess with a marker")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(failed_signins)")]
    assert columns == ["id", "user_id", "at"]
    assert conn.execute("SELECT user_id, at FROM failed_signins").fetchall()[0][1] == NOW


def test_a_successful_signin_clears_the_account_failures(accounts, app, conn, clock):
    accounts.create("fern", "volunteer")
    for number in range(4):
        attempt(from_address(app, f"10.0.5.{number}"), "fern", "wrong")
    assert attempt(from_address(app, "10.0.5.9"), "fern", PASSWORD).status_code == 302
    assert conn.execute("SELECT count(*) FROM failed_signins").fetchone()[0] == 0


def test_join_codes_are_throttled_per_address(app, clock):
    client = from_address(app, "10.0.6.1")
    for _ in range(5):
        assert post(client, "/join", {"code": "K7M-4QX2-P9R"}).status_code == 200
    assert post(client, "/join", {"code": "K7M-4QX2-P9R"}).status_code == 429


@pytest.mark.parametrize("policy", [throttle.SIGNIN, throttle.UNLOCK])
def test_both_policies_keep_addresses_only_as_keyed_hashes(policy):
    guard = throttle.Throttle(policy, capacity=3)
    for number in range(5):
        guard.record_failure(f"192.0.2.{number}", NOW)
    held = repr(guard._records)
    assert "192.0.2" not in held
    assert len(guard._records) == 3  # bounded: the oldest addresses are forgotten first
    assert guard.wait_seconds("192.0.2.0", NOW) == 0
    assert guard.wait_seconds("192.0.2.4", NOW) == 0  # one failure is below the limit
