"""Server-side sessions: hashed ids, rotation at sign-in, timeouts, sign-out that sticks."""

from __future__ import annotations

import hashlib

import pytest
from helpers.accounts import Accounts, insert_user, stored_account
from helpers.forms import csrf_token, post
from helpers.instance import NOW, PASSWORD

from casework import create_app
from casework.store import invites
from casework.store import sessions as stored
from casework.store.db import transaction
from casework.web import lifecycle
from casework.web.sessions import USER_KEY, ServerSession, hash_session_id


def session_cookie(client, name="casework"):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def test_session_id_is_random_and_stored_hashed(accounts, client, conn):
    accounts.create("river")
    accounts.signin("river")
    sid = session_cookie(client)
    assert sid and len(sid) >= 40
    stored = {row[0] for row in conn.execute("SELECT id_hash FROM sessions")}
    assert sid not in stored
    assert hashlib.sha256(sid.encode()).hexdigest() in stored


def test_new_id_at_signin(accounts, client):
    accounts.create("river")
    client.get("/signin")
    before = session_cookie(client)
    accounts.signin("river")
    after = session_cookie(client)
    assert before and after and before != after


def test_cookie_captured_before_signout_is_refused_after(accounts, app, client):
    accounts.create("river")
    accounts.signin("river")
    stolen = session_cookie(client)
    client.post("/signout", data={"csrf_token": csrf_token(client.get("/"))})
    thief = app.test_client()
    thief.set_cookie("casework", stolen)
    assert thief.get("/").status_code == 302


@pytest.mark.parametrize(
    ("steps", "last"),
    [
        ([29 * 60], 31 * 60),  # idle: 30 minutes without a request
        ([15 * 60] * (12 * 4 - 1), 16 * 60),  # absolute: 12 hours, however active
    ],
    ids=["idle", "absolute"],
)
def test_session_limits_are_enforced_by_the_server(accounts, client, clock, steps, last):
    accounts.create("river")
    accounts.signin("river")
    for step in steps:
        clock[0] += step
        assert client.get("/").status_code == 200
    clock[0] += last
    assert client.get("/").status_code == 302


def test_anonymous_visits_do_not_grow_the_store(client, conn):
    for _ in range(20):
        client.get("/signin")
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


@pytest.fixture
def tls_app(instance, store_key):
    app = create_app(instance, key=bytearray(store_key), tls=True, testing=True)
    yield app
    app.extensions["casework_store"].lock()


def test_cookies_over_tls_are_host_prefixed_secure_httponly_strict(tls_app):
    client = tls_app.test_client()
    response = client.get("/signin", base_url="https://localhost")
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-casework=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in header
    assert "Domain" not in header and "Expires" not in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- the stored sessions themselves ----------------------------------------------------


def stored_session(conn, id_hash: str, user_id: int, now: int = 1000) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO sessions (id_hash, user_id, data, created_at, seen_at)"
            " VALUES (?, ?, '{}', ?, ?)",
            (id_hash, user_id, now, now),
        )


def hashes(conn) -> set[str]:
    return {row[0] for row in conn.execute("SELECT id_hash FROM sessions")}


def test_a_new_session_ends_the_one_it_replaces(conn):
    user_id = insert_user(conn, "river", "coordinator", public_id="pub-river")
    stored_session(conn, "old", user_id)
    stored_session(conn, "other-device", user_id)
    stored.start(conn, "new", "old", "pub-river", "{}", 2000)
    assert hashes(conn) == {"new", "other-device"}


def test_ending_one_persons_sessions_leaves_everyone_elses(conn):
    river, lake = insert_user(conn, "river"), insert_user(conn, "lake")
    for number, user_id in enumerate((river, river, lake)):
        stored_session(conn, f"s{number}", user_id)
    assert stored.end_for_user(conn, river) == 2
    assert hashes(conn) == {"s2"}


def test_ending_everyones_sessions_is_counted_and_audited(conn):
    river = insert_user(conn, "river")
    stored_session(conn, "a", river)
    stored_session(conn, "b", river)
    conn.execute("DELETE FROM audit_events")
    assert stored.end_all(conn, 3000, "store.locked") == 2
    assert stored.end_all(conn, 3001, "store.unlocked", "restore", river) == 0
    events = conn.execute("SELECT at, actor_id, action, target FROM audit_events ORDER BY id")
    assert [tuple(row) for row in events] == [
        (3000, None, "store.locked", ""),
        (3001, river, "store.unlocked", "restore"),
    ]


# --- the web side: rotation, limits to the second, last seen, deletion ----------------


def seen_at(conn, client) -> int:
    id_hash = hash_session_id(session_cookie(client))
    return conn.execute("SELECT seen_at FROM sessions WHERE id_hash = ?", (id_hash,)).fetchone()[0]


def test_changing_the_password_gives_this_device_a_new_session_id(accounts, app, client):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    before = session_cookie(client)
    new = "another long enough secret"
    post(client, "/profile/password", {"current": PASSWORD, "password": new, "confirm": new})
    after = session_cookie(client)
    assert before and after and before != after
    assert client.get("/").status_code == 200  # this device goes on under the new id
    thief = app.test_client()
    thief.set_cookie("casework", before)
    assert thief.get("/").status_code == 302  # the id it had before no longer signs in


def test_signing_in_forgets_the_signed_out_session_it_started_from(accounts, app, client, clock):
    accounts.create("river")
    client.get("/signin")
    before = hash_session_id(session_cookie(client))
    table = app.session_interface.signed_out
    assert table.get(before, clock[0], 3600) is not None
    accounts.signin("river")
    assert table.get(before, clock[0], 3600) is None


def test_signing_out_ends_the_stored_session_and_changes_the_id(accounts, app, client, conn):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    mine = session_cookie(client)
    assert hash_session_id(mine) in hashes(conn)
    client.post("/signout", data={"csrf_token": csrf_token(client.get("/"))})
    assert hash_session_id(mine) not in hashes(conn)
    # The "signed out" message lives in a new signed-out session, under a new id.
    assert session_cookie(client) not in (None, mine)
    assert hash_session_id(session_cookie(client)) not in hashes(conn)


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(30, 12), (5, 1)],
    ids=["defaults", "shorter"],
)
def test_session_limits_hold_to_the_second(instance, store_key, minutes, hours):
    app = create_app(instance, key=bytearray(store_key), testing=True)
    settings = app.config["CASEWORK"]
    settings["sessions.idle_minutes"], settings["sessions.absolute_hours"] = minutes, hours
    now = [NOW]
    app.config["CASEWORK_CLOCK"] = lambda: now[0]
    try:
        client = app.test_client()
        accounts = Accounts(app, client)
        accounts.create("river", "volunteer")
        accounts.signin("river")
        now[0] += minutes * 60  # idle exactly as long as allowed: still signed in
        assert client.get("/").status_code == 200
        now[0] += minutes * 60 + 1  # one second longer: signed out
        assert client.get("/").status_code == 302

        accounts.signin("river")
        started = now[0]
        while now[0] + minutes * 60 < started + hours * 3600:
            now[0] += minutes * 60
            assert client.get("/").status_code == 200
        now[0] = started + hours * 3600  # exactly the absolute limit: still signed in
        assert client.get("/").status_code == 200
        now[0] += 1  # one second past it, however active: signed out
        assert client.get("/").status_code == 302
    finally:
        app.extensions["casework_store"].lock()


def test_last_seen_is_written_at_most_once_a_minute(accounts, client, clock, conn):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    assert client.get("/").status_code == 200  # the home page after sign-in
    first = seen_at(conn, client)
    clock[0] += 59
    assert client.get("/").status_code == 200
    assert seen_at(conn, client) == first  # a read within the minute writes nothing
    clock[0] += 1
    assert client.get("/").status_code == 200
    assert seen_at(conn, client) == first + 60  # a minute on: last seen moves


def test_a_cookie_that_is_not_ascii_is_a_signed_out_visit(client):
    client.set_cookie("casework", "é" * 40)
    response = client.get("/signin")
    assert response.status_code == 200
    assert session_cookie(client) != "é" * 40  # a fresh session of its own


def test_a_response_that_sets_the_session_cookie_varies_on_cookie(client):
    response = client.get("/signin")
    assert "casework=" in response.headers["Set-Cookie"]
    assert response.headers["Vary"] == "Cookie"


def test_a_store_locked_mid_request_deletes_the_host_cookie_with_its_attributes(tls_app):
    conn = tls_app.extensions["casework_store"].conn()
    user = stored_account(conn, "river", "volunteer", NOW)
    session = ServerSession({USER_KEY: user.public_id}, "s" * 43, seen_at=NOW)
    with tls_app.test_request_context("/", base_url="https://localhost"):
        lifecycle.lock_store(tls_app, "manual")  # Lock now, while this request ran
        response = tls_app.response_class()
        tls_app.session_interface.save_session(tls_app, session, response)
    [deletion] = response.headers.getlist("Set-Cookie")
    attributes = {part.strip() for part in deletion.split(";")}
    assert deletion.startswith("__Host-casework=;")
    # A browser only deletes a __Host- cookie when the deletion has the same attributes.
    assert {"Secure", "HttpOnly", "Path=/", "SameSite=Strict", "Max-Age=0"} <= attributes


def test_a_signed_in_session_saved_without_an_id_gets_a_new_one(app, conn):
    user_id = insert_user(conn, "river", "volunteer", public_id="pub-river")
    assert user_id
    interface = app.session_interface
    session = ServerSession({USER_KEY: "pub-river"})
    with app.test_request_context("/"):
        response = app.response_class()
        interface.save_session(app, session, response)
    assert session.sid and len(session.sid) >= 40
    assert hashes(conn) == {hash_session_id(session.sid)}
    assert f"casework={session.sid}" in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("length", "signed_in"), [(19, False), (20, True), (64, True), (65, False)]
)
def test_only_cookies_of_a_session_ids_length_are_looked_up(app, conn, clock, length, signed_in):
    user_id = insert_user(conn, "river", "volunteer", public_id="pub-river")
    sid = "s" * length
    with transaction(conn):
        conn.execute(
            "INSERT INTO sessions (id_hash, user_id, data, created_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (hash_session_id(sid), user_id, '{"_user_id": "pub-river"}', clock[0], clock[0]),
        )
    client = app.test_client()
    client.set_cookie("casework", sid)
    response = client.get("/")
    assert (response.status_code == 200) is signed_in, response.headers.get("Location")


def test_session_ids_are_32_random_bytes(accounts, client):
    client.get("/signin")
    signed_out = session_cookie(client)
    accounts.create("river", "volunteer")
    accounts.signin("river")
    signed_in = session_cookie(client)
    assert len(signed_out) == len(signed_in) == 43  # 32 bytes, URL-safe base64
    assert signed_out != signed_in


def test_a_session_started_in_the_future_is_refused_and_ended(app, conn, clock):
    # The clock was set back after it started (or the row was planted): not to be trusted.
    user_id = insert_user(conn, "river", "volunteer", public_id="pub-river")
    sid = "f" * 43
    stored_session(conn, hash_session_id(sid), user_id, now=clock[0] + 60)
    client = app.test_client()
    client.set_cookie("casework", sid)
    assert client.get("/").status_code == 302
    assert hash_session_id(sid) not in hashes(conn)


def test_a_session_past_its_limit_is_ended_in_the_store(accounts, client, clock, conn):
    accounts.create("river", "volunteer")
    accounts.signin("river")
    mine = hash_session_id(session_cookie(client))
    clock[0] += 30 * 60 + 1
    assert client.get("/").status_code == 302
    assert mine not in hashes(conn)


def test_accepting_a_link_on_a_signed_in_device_ends_the_session_it_replaces(
    accounts, app, client, conn
):
    accounts.create("river")
    accounts.signin("river")
    before = session_cookie(client)
    with app.app_context():
        link = invites.create(conn, "setup", "volunteer", NOW, 24)
    form = {"handle": "lake", "password": PASSWORD, "confirm": PASSWORD}
    accepted = post(client, f"/setup/{link}", form, page=f"/setup/{link}")
    assert accepted.status_code == 302, accepted.text
    after = session_cookie(client)
    assert after != before and hash_session_id(before) not in hashes(conn)
    thief = app.test_client()
    thief.set_cookie("casework", before)
    assert thief.get("/").status_code == 302


def test_an_emptied_signed_out_session_is_forgotten_and_its_cookie_deleted(app, clock):
    interface = app.session_interface
    id_hash = hash_session_id("e" * 43)
    interface.signed_out.put(id_hash, {"csrf_token": "t"}, clock[0], "192.0.2.1")
    session = ServerSession({}, "e" * 43)  # what was in it is gone (popped, cleared)
    with app.test_request_context("/"):
        response = app.response_class()
        interface.save_session(app, session, response)
    assert interface.signed_out.get(id_hash, clock[0], 3600) is None
    [deletion] = response.headers.getlist("Set-Cookie")
    assert deletion.startswith("casework=;") and "Max-Age=0" in deletion
    assert {"HttpOnly", "Path=/", "SameSite=Strict"} <= {p.strip() for p in deletion.split(";")}
