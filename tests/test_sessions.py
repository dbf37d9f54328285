"""Server-side sessions: hashed ids, rotation at sign-in, timeouts, sign-out that sticks."""

from __future__ import annotations

import hashlib

import pytest
from helpers.accounts import insert_user
from helpers.forms import csrf_token

from casework import create_app
from casework.store import sessions as stored
from casework.store.db import transaction


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
