"""Passwords, handles, the profile and signing out (SECURITY.md items 5, 8, 13)."""

from __future__ import annotations

import pytest
from helpers.forms import csrf_token, english, post
from helpers.instance import PASSWORD

from casework import create_app
from casework.rules import languages
from casework.store import users


def count_users(conn) -> int:
    return conn.execute("SELECT count(*) FROM users").fetchone()[0]


def test_passwords_are_argon2id_hashes(accounts, conn):
    accounts.create("river", "volunteer")
    stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("handle", "password", "message"),
    [
        ("ab", PASSWORD, "A pseudonym has 3 to 32 characters."),
        ("x" * 33, PASSWORD, "A pseudonym has 3 to 32 characters."),
        ("tab\there", PASSWORD, "Use letters, digits, spaces"),
        ("nul\x00byte", PASSWORD, "Use letters, digits, spaces"),
        ("<script>", PASSWORD, "Use letters, digits, spaces"),
        ("514-555-0199", PASSWORD, "a phone number"),
        ("046 454 286", PASSWORD, "We never store this kind of information"),
        ("river", "short pass", "Use at least 12 characters."),
        ("river", "p" * 129, "Use at most 128 characters."),
        ("river", "password1234", "This password is too common"),
        ("river", "river-is-my-password", "Do not put your pseudonym"),
    ],
)
def test_bad_handles_and_weak_passwords_save_nothing(app, conn, handle, password, message):
    from casework.store import invites

    with app.app_context():
        token = invites.create(conn, "setup", "volunteer", int(app.config["CASEWORK_CLOCK"]()), 1)
    client = english(app.test_client())
    form = {"handle": handle, "password": password, "confirm": password}
    response = post(client, f"/setup/{token}", form)
    assert response.status_code == 200
    assert message in response.text
    assert count_users(conn) == 0


def test_a_taken_handle_is_caught_by_the_unique_constraint(accounts, conn):
    accounts.create("River", "volunteer")
    with pytest.raises(users.HandleTaken):
        users.create(conn, "rIVER", "volunteer", "x", 1)  # no pre-check: the constraint
    assert count_users(conn) == 1


def test_a_taken_handle_on_the_form_is_a_clear_message(accounts, app, conn):
    accounts.create("river", "volunteer")
    from casework.store import invites

    with app.app_context():
        token = invites.create(conn, "setup", "volunteer", int(app.config["CASEWORK_CLOCK"]()), 1)
    client = english(app.test_client())
    form = {"handle": "RIVER", "password": PASSWORD, "confirm": PASSWORD}
    response = post(client, f"/setup/{token}", form)
    assert "This pseudonym is taken" in response.text
    assert count_users(conn) == 1
    used = conn.execute("SELECT count(*) FROM invites WHERE used_at IS NOT NULL").fetchone()[0]
    assert used == 1  # only river's own link: the refused attempt kept nothing, not even the claim


def test_password_is_rehashed_at_signin_when_costs_rise(accounts, instance, store_key, conn):
    accounts.create("river", "volunteer")
    before = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    stronger = create_app(
        instance,
        key=bytearray(store_key),
        tls=False,
        testing=True,
        settings={"passwords.time_cost": 2},
    )
    try:
        accounts.app = stronger
        assert accounts.signin("river", client=stronger.test_client()).status_code == 302
        after = (
            stronger.extensions["casework_store"].conn().execute("SELECT password_hash FROM users")
        )
        after = after.fetchone()[0]
    finally:
        stronger.extensions["casework_store"].lock()
    assert after != before and "t=2" in after


def test_change_password_needs_the_current_one(accounts, client, conn):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    english(client)
    new = "another long enough secret"
    wrong = post(
        client, "/profile/password", {"current": "not it at all!", "password": new, "confirm": new}
    )
    assert "This is not your current password." in wrong.text
    done = post(client, "/profile/password", {"current": PASSWORD, "password": new, "confirm": new})
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this device stays signed in
    client.post("/signout", data={"csrf_token": csrf_token(client.get("/"))})
    assert accounts.signin("river").status_code == 200  # the old password no longer works
    assert accounts.signin("river", password=new).status_code == 302


def test_changing_the_password_ends_other_sessions(accounts, app, client):
    accounts.create("river", "volunteer")
    other = app.test_client()
    accounts.signin("river", client=other)
    accounts.signin("river")
    new = "another long enough secret"
    post(client, "/profile/password", {"current": PASSWORD, "password": new, "confirm": new})
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 200


def test_sign_out_everywhere_refuses_every_captured_cookie(accounts, app, client, conn):
    accounts.create("river", "volunteer")
    phone = app.test_client()
    accounts.signin("river", client=phone)
    accounts.signin("river")
    stolen = phone.get_cookie("casework").value
    assert post(client, "/profile/sessions/end", page="/profile/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("casework", stolen)
    assert thief.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert client.get("/").status_code == 302
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_profile_saves_languages_availability_and_interface_language(accounts, client, conn):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    page = client.get("/profile/")
    assert 'lang="ht"' in page.text and "Kreyòl ayisyen" in page.text
    response = client.post(
        "/profile/",
        data={
            "languages": ["ht", "fr", "ar"],
            "availability": ["0", "20"],
            "ui_language": "es",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302
    row = conn.execute("SELECT languages, availability, ui_language FROM users").fetchone()
    assert row["languages"] == "fr,ar,ht"
    assert row["availability"] == "1" + "0" * 19 + "1"
    assert row["ui_language"] == "es"
    assert 'lang="es"' in client.get("/profile/").text


@pytest.mark.parametrize(
    "field_value",
    [("languages", "xx"), ("availability", "21"), ("availability", "-1"), ("ui_language", "de")],
)
def test_profile_refuses_values_outside_the_lists(accounts, client, conn, field_value):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    name, value = field_value
    response = post(client, "/profile/", {name: value}, page="/profile/")
    assert response.status_code == 200
    row = conn.execute("SELECT languages, availability, ui_language FROM users").fetchone()
    assert tuple(row) == ("", "", None)


def test_language_list_is_in_one_module_with_own_names():
    assert languages.SPOKEN["ht"] == "Kreyòl ayisyen"
    assert languages.parse(languages.serialise(["es", "fr"])) == ["fr", "es"]
    with pytest.raises(ValueError):
        languages.serialise(["klingon"])


def test_handles_come_back_escaped(accounts, app, client):
    accounts.create("coord")
    accounts.create("a.b-c_d", "volunteer")
    accounts.signin("coord")
    page = client.get("/people/")
    assert "a.b-c_d" in page.text
    assert "<script" not in page.text


# The first always changes the last character (a fixed "A" would not when it ends in "A").
@pytest.mark.parametrize(
    "tamper",
    [lambda v: v[:-1] + ("B" if v.endswith("A") else "A"), lambda v: v * 3, lambda v: "\x00" + v],
)
def test_a_tampered_session_cookie_is_just_signed_out(accounts, app, client, tamper):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    forged = app.test_client()
    forged.set_cookie("casework", tamper(client.get_cookie("casework").value))
    assert forged.get("/").status_code == 302
    assert forged.get("/profile/").status_code == 302
