"""The second factor: required for coordinators, offered to volunteers (SECURITY.md item 6)."""

from __future__ import annotations

import pytest
from helpers.forms import csrf_token, english, post
from helpers.instance import NOW, PASSWORD

from casework.rules import totp
from casework.store import second_factor


def password_step(client, handle: str):
    return post(english(client), "/signin", {"handle": handle, "password": PASSWORD})


def code_step(client, code: str):
    return post(client, "/signin/code", {"code": code})


def test_a_coordinator_without_second_factor_reaches_only_enrolment(accounts, app, conn):
    client = english(app.test_client())
    accounts.create("ash", second_factor=False, client=client)
    for path in ("/", "/people/", "/profile/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/profile/second-factor"
    invite = post(client, "/people/invite", {"role": "volunteer"}, page="/profile/second-factor")
    assert invite.status_code == 404
    assert conn.execute("SELECT count(*) FROM invites WHERE purpose = 'invite'").fetchone()[0] == 0
    enrol = client.get("/profile/second-factor")
    assert enrol.status_code == 200
    assert '<svg role="img"' in enrol.text and 'class="secret"' in enrol.text
    assert "<script" not in enrol.text and "style=" not in enrol.text


def test_signin_of_an_unenrolled_coordinator_leads_to_enrolment(accounts, app):
    accounts.create("ash", second_factor=False)
    response = accounts.signin("ash")
    assert response.headers["Location"] == "/profile/second-factor"


def test_enrolment_with_a_wrong_code_saves_nothing(accounts, app, conn):
    client = english(app.test_client())
    account = accounts.create("ash", second_factor=False, client=client)
    response = post(client, "/profile/second-factor", {"code": "000000"})
    assert "That code does not match" in response.text
    assert conn.execute("SELECT totp_secret FROM users").fetchone()[0] is None
    assert conn.execute("SELECT count(*) FROM recovery_codes").fetchone()[0] == 0
    accounts.enrol(account, client)
    assert client.get("/").status_code == 200


def test_recovery_codes_are_stored_hashed(accounts, conn):
    account = accounts.create("ash")
    stored = {row[0] for row in conn.execute("SELECT code_hash FROM recovery_codes")}
    assert len(stored) == 10
    assert not stored & set(account.recovery_codes)
    assert {totp.hash_recovery_code(code) for code in account.recovery_codes} == stored


def test_not_signed_in_until_the_code_passes(accounts, app, clock):
    account = accounts.create("ash")
    client = app.test_client()
    assert password_step(client, "ash").headers["Location"] == "/signin/code"
    assert client.get("/").status_code == 302  # the password alone opens nothing
    assert client.get("/people/").status_code == 302
    response = code_step(client, totp.code_at(account.secret, NOW))
    assert response.headers["Location"] == "/"
    assert client.get("/people/").status_code == 200


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-60, False), (-30, True), (0, True), (30, True), (60, False)]
)
def test_codes_are_accepted_one_step_either_side(accounts, app, clock, offset, accepted):
    account = accounts.create("ash")
    clock[0] += 600  # well after enrolment's step
    client = app.test_client()
    password_step(client, "ash")
    response = code_step(client, totp.code_at(account.secret, clock[0] + offset))
    assert (response.status_code == 302) is accepted


def test_a_used_code_is_refused_a_second_time(accounts, app, clock):
    account = accounts.create("ash")
    code = totp.code_at(account.secret, NOW)
    first, second = app.test_client(), app.test_client()
    password_step(first, "ash")
    assert code_step(first, code).status_code == 302
    password_step(second, "ash")
    refused = code_step(second, code)
    assert refused.status_code == 200
    assert "Those sign-in details do not match" in refused.text
    assert second.get("/").status_code == 302


def test_a_recovery_code_works_once_instead_of_a_code(accounts, app, clock, conn):
    account = accounts.create("ash")
    code = account.recovery_codes[0]
    first, second = app.test_client(), app.test_client()
    password_step(first, "ash")
    assert code_step(first, code.lower().replace("-", " ")).status_code == 302
    password_step(second, "ash")
    assert code_step(second, code).status_code == 200
    assert second_factor.recovery_codes_left(conn, 1) == 9


def test_the_pending_step_expires(accounts, app, clock):
    account = accounts.create("ash")
    client = app.test_client()
    password_step(client, "ash")
    clock[0] += 301
    response = client.get("/signin/code")
    assert response.headers["Location"] == "/signin"
    token = csrf_token(client.get("/signin"))
    code = totp.code_at(account.secret, clock[0])
    late = client.post("/signin/code", data={"code": code, "csrf_token": token})
    assert late.headers["Location"] == "/signin"
    assert client.get("/").status_code == 302


def test_a_volunteer_may_enrol_and_then_needs_the_code(accounts, app):
    client = english(app.test_client())
    accounts.create("fern", "volunteer", client=client)
    assert client.get("/").status_code == 200  # not required for volunteers
    profile = client.get("/profile/")
    assert "Set up a second factor" in profile.text
    accounts.enrol(accounts.people["fern"], client)
    other = app.test_client()
    assert password_step(other, "fern").headers["Location"] == "/signin/code"


def test_new_recovery_codes_replace_the_old(accounts, app, client, conn):
    account = accounts.create("ash")
    accounts.signin("ash")
    page = post(client, "/profile/recovery-codes", page="/profile/")
    assert page.status_code == 200
    assert conn.execute("SELECT count(*) FROM recovery_codes").fetchone()[0] == 10
    old = {totp.hash_recovery_code(code) for code in account.recovery_codes}
    stored = {row[0] for row in conn.execute("SELECT code_hash FROM recovery_codes")}
    assert not old & stored


def test_a_coordinator_resets_another_persons_second_factor(accounts, app, client, conn):
    accounts.create("ash")
    lost = accounts.create("birch")
    phone = app.test_client()
    accounts.signin("birch", client=phone)
    accounts.signin("ash")
    url = f"/people/{lost.public_id}/second-factor/reset"
    assert post(client, url, page=f"/people/{lost.public_id}").status_code == 302
    assert phone.get("/").status_code == 302  # their sessions ended
    row = conn.execute("SELECT totp_secret, totp_last_step FROM users WHERE handle = 'birch'")
    assert tuple(row.fetchone()) == (None, None)
    assert accounts.signin("birch", client=phone).headers["Location"] == "/profile/second-factor"
    actions = [row[0] for row in conn.execute("SELECT action FROM audit_events")]
    assert "second_factor.reset" in actions
