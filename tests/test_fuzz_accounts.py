"""SECURITY.md item 20 for the forms test_fuzz_forms.py does not cover: sign-in, the code
step, setup, join and finish, reset, profile, password change, second-factor enrolment,
invite and role, assign and unassign, case lookup, week, unlock and lock.

Arbitrary Unicode with NUL bytes and lone surrogates (sent as the bytes a broken client
would send), long and megabyte strings: only a form error, 413, or the designed
302/400/404/429/503, never a 500, and nothing saved unless the input was valid.
"""

from __future__ import annotations

import pytest
from helpers.forms import post
from helpers.instance import PASSWORD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.auth.forms import check_handle
from casework.rules import passwords
from casework.store import invites
from casework.web import lifecycle

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Every code point, surrogates included, plus inputs known to break naive code.
text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=200),
    st.sampled_from(
        ["\x00", "\ud800", "a\x00b", "' OR 1=1 --", "<script>", "%00", "9" * 70, "/\r\nX-A: b"]
    ),
)
MINUTE = 61  # past the throttle's window: each example reaches the real checks


def encode(data: dict) -> dict:
    """Lone surrogates become the invalid UTF-8 bytes a broken client would send."""

    def one(value):
        return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value

    return {k: [one(v) for v in value] if isinstance(value, list) else one(value)
            for k, value in data.items()}  # fmt: skip


def send(client, url: str, data: dict, page: str | None = None):
    """The shared post(), with the fields encoded as a broken client would."""
    return post(client, url, encode(data), page)


def counts(team) -> tuple:
    return tuple(team.count(t) for t in ("users", "sessions", "invites", "assignments", "cases"))


@pytest.fixture
def anonymous(app, team):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@FUZZ
@given(handle=text, password=text, next_=text)
def test_signin_fuzz(team, anonymous, handle, password, next_):
    team.now += MINUTE
    before = counts(team)
    data = {"handle": handle, "password": password, "next": next_}
    response = send(anonymous, "/signin", data)
    assert response.status_code in (200, 429, 413)
    assert counts(team) == before


@FUZZ
@given(next_=text)
def test_signin_next_never_leaves_the_site(team, app, next_):
    if "vera" not in team.clients:
        team.person("vera")
    team.now += MINUTE
    client = app.test_client()
    response = send(client, "/signin", {"handle": "vera", "password": PASSWORD, "next": next_})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


@FUZZ
@given(code=text)
def test_signin_code_fuzz(team, app, code):
    team.now += MINUTE
    client = app.test_client()
    first = send(client, "/signin", {"handle": "coord", "password": PASSWORD})
    assert first.headers["Location"] == "/signin/code"
    sessions = team.count("sessions")
    response = send(client, "/signin/code", {"code": code})
    assert response.status_code in (200, 429, 413)
    assert team.count("sessions") == sessions


def _valid_account(handle: str, password: str, confirm: str) -> bool:
    return (
        check_handle(handle) is None
        and password == confirm
        and not passwords.check_password_rules(password, handle=handle)
    )


@FUZZ
@given(handle=text, password=text, confirm=text)
def test_setup_fuzz(team, anonymous, handle, password, confirm):
    token = invites.create(team.conn, "setup", "volunteer", team.now, 24)
    users = team.count("users")
    data = {"handle": handle, "password": password, "confirm": confirm}
    response = send(anonymous, f"/setup/{token}", data)
    assert response.status_code in (200, 302, 413)
    if response.status_code == 302:  # only a valid account is ever made
        assert _valid_account(handle, password, confirm)
        assert team.count("users") == users + 1
        anonymous.cookie_jar.clear()
    else:
        assert team.count("users") == users


@FUZZ
@given(code=text)
def test_join_code_fuzz(team, anonymous, code):
    team.now += MINUTE
    invites.create_with_code(team.conn, "invite", team.now, 24, role="volunteer")
    used = team.count("invites WHERE used_at IS NOT NULL")
    response = send(anonymous, "/join", {"code": code})
    assert response.status_code in (200, 429, 413)
    assert team.count("invites WHERE used_at IS NOT NULL") == used


@FUZZ
@given(handle=text, password=text, confirm=text)
def test_join_finish_fuzz(team, app, handle, password, confirm):
    link = invites.create_with_code(team.conn, "invite", team.now, 24, role="volunteer")
    client = app.test_client()
    assert client.get(f"/join/{link.token}").status_code == 302
    users = team.count("users")
    data = {"handle": handle, "password": password, "confirm": confirm}
    response = send(client, "/join/finish", data)
    assert response.status_code in (200, 302, 413)
    valid = response.status_code == 302
    assert not valid or _valid_account(handle, password, confirm)
    assert team.count("users") == users + valid


@FUZZ
@given(password=text, confirm=text)
def test_reset_finish_fuzz(team, app, password, confirm):
    user_id = team.user_id("coord")
    link = invites.create_with_code(team.conn, "reset", team.now, 24, user_id=user_id)
    client = app.test_client()
    assert client.get(f"/join/{link.token}").status_code == 302
    before = team.conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,))
    before = before.fetchone()[0]
    response = send(client, "/join/finish", {"password": password, "confirm": confirm})
    assert response.status_code in (200, 302, 413)
    after = team.conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,))
    changed = after.fetchone()[0] != before
    assert changed == (response.status_code == 302)
    assert not changed or _valid_account("coord", password, confirm)


@FUZZ
@given(languages=st.lists(text, max_size=3), slots=st.lists(text, max_size=3), ui=text)
def test_profile_fuzz(team, languages, slots, ui):
    row = "SELECT languages, availability, ui_language FROM users WHERE handle = 'coord'"
    before = tuple(team.conn.execute(row).fetchone())
    data = {"languages": ["?" + x for x in languages], "availability": slots, "ui_language": ui}
    response = send(team.coord, "/profile/", data)
    assert response.status_code in (200, 302, 413)
    if response.status_code != 302:
        assert tuple(team.conn.execute(row).fetchone()) == before


@FUZZ
@given(current=text, password=text, confirm=text)
def test_password_change_fuzz(team, current, password, confirm):
    team.now += MINUTE
    row = "SELECT password_hash FROM users WHERE handle = 'coord'"
    before = team.conn.execute(row).fetchone()[0]
    data = {"current": "x" + current, "password": password, "confirm": confirm}
    response = send(team.coord, "/profile/password", data)
    assert response.status_code in (200, 429, 413)
    assert team.conn.execute(row).fetchone()[0] == before


@FUZZ
@given(code=text)
def test_enrol_code_fuzz(team, code):
    if "enrolling" not in team.clients:
        team.person("enrolling")
    client = team.clients["enrolling"]
    response = send(client, "/profile/second-factor", {"code": "x" + code})
    assert response.status_code in (200, 413)
    assert team.count("users WHERE totp_secret IS NOT NULL AND handle = 'enrolling'") == 0


@FUZZ
@given(role=text)
def test_invite_and_role_fuzz(team, role):
    if "rory" not in team.clients:
        team.person("rory")
    before = counts(team)
    invite = send(team.coord, "/people/invite", {"role": "x" + role}, "/people/")
    public_id = team.conn.execute("SELECT public_id FROM users WHERE handle = 'rory'")
    url = f"/people/{public_id.fetchone()[0]}"
    change = send(team.coord, f"{url}/role", {"role": "x" + role}, url)
    assert (invite.status_code, change.status_code) in ((400, 400), (413, 413))
    assert counts(team) == before
    assert team.count("users WHERE role = 'volunteer' AND handle = 'rory'") == 1


@pytest.fixture
def task_token(team):
    return team.add_task(team.coord, team.open_case(team.coord))


@FUZZ
@given(volunteer=text, action=st.sampled_from(["assign", "unassign"]))
def test_assign_fuzz(team, task_token, volunteer, action):
    page = f"/tasks/{task_token}"
    response = send(team.coord, f"{page}/{action}", {"volunteer": "?" + volunteer}, page)
    assert response.status_code in (302, 413)
    assert team.count("assignments") == 0


@FUZZ
@given(code=text, day=text)
def test_lookup_and_week_fuzz(team, code, day):
    for url, value in (("/cases/find", {"code": code}), ("/week", {"day": day})):
        response = team.coord.get(url, query_string=encode(value))
        assert response.status_code in (200, 302, 413), (url, value)


@FUZZ
@given(passphrase=text)
def test_unlock_fuzz(team, app, passphrase):
    team.now += 3600  # the unlock throttle's wait is over
    app.extensions["casework_store"].lock()
    client = app.test_client()
    response = send(client, "/unlock", {"passphrase": "x" + passphrase})
    assert response.status_code in (503, 429, 413)
    assert app.extensions["casework_store"].sealed


@FUZZ
@given(extra=st.dictionaries(st.text(max_size=20), text, max_size=3))
def test_lock_confirm_fuzz(team, app, store_key, extra):
    response = send(team.coord, "/lock", {k: v for k, v in extra.items() if k != "csrf_token"})
    assert response.status_code in (302, 413)
    store = app.extensions["casework_store"]
    assert store.sealed == (response.status_code == 302)
    if store.sealed:
        lifecycle.unlock_with_key(app, bytearray(store_key))
        team.now += 90  # a fresh TOTP step
        team.accounts.signin("coord", client=team.coord)


def _megabyte_forms(team):
    token = invites.create(team.conn, "setup", "volunteer", team.now, 24)
    huge = "a" * 1_100_000
    return [
        (None, "/signin", {"handle": huge, "password": huge}),
        (None, f"/setup/{token}", {"handle": "x", "password": huge, "confirm": huge}),
        (None, "/join", {"code": huge}),
        (team.coord, "/profile/", {"ui_language": huge}),
        (team.coord, "/profile/password", {"current": huge}),
        (team.coord, "/people/invite", {"role": huge}),
    ]


def test_megabyte_fields_get_413_and_save_nothing(team, app):
    before = counts(team)
    for client, url, data in _megabyte_forms(team):
        client = client or app.test_client()
        response = post(client, url, data)
        assert response.status_code == 413, url
    assert counts(team)[:2] == before[:2] and counts(team)[3:] == before[3:]
    # Unlock while sealed, too.
    app.extensions["casework_store"].lock()
    client = app.test_client()
    assert post(client, "/unlock", {"passphrase": "a" * 1_100_000}).status_code == 413
    assert app.extensions["casework_store"].sealed
