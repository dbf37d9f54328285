"""The sealed store in the browser: nothing reachable but the unlock form, throttled
unlocking, Lock now ending every session, and locking after idle time."""

from __future__ import annotations

import threading

import pytest
from helpers.forms import csrf_token
from helpers.instance import PASSPHRASE

from casework import create_app
from casework.vault import keys
from casework.web import lifecycle
from casework.web.gate import SEALED_ENDPOINTS
from casework.web.throttle import UNLOCK, Throttle

EN = {"Accept-Language": "en"}
MARKER = "zebra-quartz-4471"


@pytest.fixture
def sealed_app(instance, store_key):
    app = create_app(instance, tls=False, testing=True)
    app.config["CASEWORK_CLOCK"] = lambda: 1_800_000_000
    yield app
    app.extensions["casework_store"].lock()


def unlock(client, passphrase=PASSPHRASE, **environ):
    page = client.get("/", headers=EN, **environ)
    return client.post(
        "/unlock",
        data={"passphrase": passphrase, "csrf_token": csrf_token(page)},
        headers=EN,
        **environ,
    )


def lock_now(client):
    page = client.get("/lock", headers=EN)
    assert page.status_code == 200
    return client.post("/lock", data={"csrf_token": csrf_token(page)}, headers=EN)


def sample_url(rule) -> str:
    return rule.rule.replace("<", "").replace(">", "").replace(":", "-")


def test_every_endpoint_but_the_sealed_list_answers_the_sealed_page(sealed_app):
    client = sealed_app.test_client()
    derivations = keys.derivation_count()
    # With a valid CSRF token, so that POSTs get past the token check to the gate.
    form = {"csrf_token": csrf_token(client.get("/")), "handle": "x", "password": "y"}
    for rule in sealed_app.url_map.iter_rules():
        if rule.endpoint in SEALED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = form if method == "POST" else None
            response = client.open(sample_url(rule), method=method, data=data, headers=EN)
            assert response.status_code == 503, (rule.endpoint, method)
            assert "casework is locked" in response.text
    assert keys.derivation_count() == derivations
    assert sealed_app.extensions["casework_store"].sealed


def test_sealed_page_reveals_nothing_of_the_store(app, accounts, instance, store_key):
    accounts.create(MARKER)
    app.extensions["casework_store"].lock()
    client = app.test_client()
    for path in ("/", "/signin", f"/setup/{MARKER}", "/lock", "/no-such-page"):
        response = client.get(path, headers=EN)
        assert MARKER not in response.text
        assert response.status_code in (503, 404)
    assert client.get("/healthz").json == {"ok": True}
    static = client.get("/static/casework.css")
    assert static.status_code == 200
    static.close()


def test_unlock_derives_once_opens_and_ends_old_sessions(sealed_app, store_key):
    client = sealed_app.test_client()
    derivations = keys.derivation_count()
    response = unlock(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/signin"
    assert keys.derivation_count() == derivations + 1
    assert not sealed_app.extensions["casework_store"].sealed
    assert client.get("/signin", headers=EN).status_code == 200


def test_wrong_passphrase_is_one_message_and_stays_sealed(sealed_app, instance):
    client = sealed_app.test_client()
    before = (instance / "casework.db").read_bytes()
    response = unlock(client, "not the passphrase at all")
    assert response.status_code == 503
    assert "That recovery key or passphrase does not open the store." in response.text
    assert "not the passphrase at all" not in response.text
    assert sealed_app.extensions["casework_store"].sealed
    assert (instance / "casework.db").read_bytes() == before


def test_unlock_needs_a_csrf_token(sealed_app):
    client = sealed_app.test_client()
    response = client.post("/unlock", data={"passphrase": PASSPHRASE})
    assert response.status_code == 400
    assert sealed_app.extensions["casework_store"].sealed


def test_unlock_is_throttled_per_address_with_growing_delays(sealed_app):
    now = [1_800_000_000]
    sealed_app.config["CASEWORK_CLOCK"] = lambda: now[0]
    client = sealed_app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "10.0.0.7"}}
    for _ in range(5):
        assert unlock(client, "wrong passphrase here", **here).status_code == 503
    derivations = keys.derivation_count()
    refused = unlock(client, PASSPHRASE, **here)  # the 6th, even with the right passphrase
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert keys.derivation_count() == derivations  # refused before any derivation
    assert sealed_app.extensions["casework_store"].sealed
    # Another address is not held back by this one.
    elsewhere = {"environ_base": {"REMOTE_ADDR": "10.0.0.8"}}
    assert unlock(client, "wrong passphrase here", **elsewhere).status_code == 503
    now[0] += 61
    assert unlock(client, "wrong passphrase here", **here).status_code == 503
    now[0] += 61  # the 6th failure doubled the wait to 2 minutes
    assert unlock(client, PASSPHRASE, **here).status_code == 429
    now[0] += 61
    assert unlock(client, PASSPHRASE, **here).status_code == 302


@pytest.mark.parametrize(
    ("failures", "wait"), [(4, 0), (5, 60), (6, 120), (7, 240), (12, 3600), (30, 3600)]
)
def test_throttle_delays_double_after_five_failures(failures, wait):
    throttle = Throttle(UNLOCK)
    for step in range(failures):
        throttle.record_failure("a", step * 1000)  # far apart: only the delay counts
    last = (failures - 1) * 1000
    assert throttle.wait_seconds("a", last) == wait


def test_lock_now_needs_a_coordinator_a_confirmation_and_csrf(app, accounts):
    accounts.create("river", "volunteer")
    volunteer = app.test_client()
    accounts.signin("river", client=volunteer)
    assert volunteer.get("/lock").status_code == 404
    assert volunteer.post("/lock").status_code in (400, 404)
    accounts.create("lake")
    coordinator = app.test_client()
    accounts.signin("lake", client=coordinator)
    assert "Lock now" in coordinator.get("/", headers=EN).text
    assert coordinator.get("/lock", headers=EN).status_code == 200  # confirming is not locking
    assert coordinator.post("/lock").status_code == 400  # no CSRF token
    assert not app.extensions["casework_store"].sealed


def test_lock_now_ends_every_session_and_old_cookies_stay_refused(app, accounts, instance):
    store = app.extensions["casework_store"]
    accounts.create("lake")
    accounts.create("river", "volunteer")
    coordinator, volunteer = app.test_client(), app.test_client()
    accounts.signin("lake", client=coordinator)
    accounts.signin("river", client=volunteer)
    assert store.conn().execute("SELECT count(*) FROM sessions").fetchone()[0] >= 2
    captured = volunteer.get_cookie("casework").value
    key = store._key
    response = lock_now(coordinator)
    assert response.status_code == 302
    assert store.sealed and set(key) == {0}
    assert coordinator.get("/", headers=EN).status_code == 503
    unlock(app.test_client())
    assert store.conn().execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    thief = app.test_client()
    thief.set_cookie("casework", captured)
    assert thief.get("/").status_code == 302  # back to sign in: the cookie is worthless
    assert volunteer.get("/").status_code == 302


def test_lock_forgets_anonymous_sessions(app, accounts):
    client = app.test_client()
    page = client.get("/signin")
    token = csrf_token(page)
    lifecycle.lock_store(app, "manual")
    # The CSRF token of the page loaded before the lock no longer unlocks anything.
    response = client.post("/unlock", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert response.status_code == 400
    assert app.extensions["casework_store"].sealed


def test_idle_store_locks_itself_with_an_injected_clock(app, accounts):
    now = [1_800_000_000]
    app.config["CASEWORK_CLOCK"] = lambda: now[0]
    store = app.extensions["casework_store"]
    accounts.create("lake")
    client = app.test_client()
    accounts.signin("lake", client=client)
    now[0] += 7 * 3600
    assert not lifecycle.tick(app)
    assert client.get("/").status_code == 302  # the 30-minute session ended, not the store
    accounts.signin("lake", client=client)  # a signed-in request restarts the countdown
    now[0] += 7 * 3600
    assert not lifecycle.tick(app) and not store.sealed
    now[0] += 3600
    assert lifecycle.tick(app)
    assert store.sealed
    assert store.conn is not None and client.get("/").status_code == 503


def test_anonymous_requests_do_not_keep_the_store_open(app):
    now = [1_800_000_000]
    app.config["CASEWORK_CLOCK"] = lambda: now[0]
    client = app.test_client()
    client.get("/signin")
    for _ in range(9):
        now[0] += 3600
        client.get("/signin")
    assert app.extensions["casework_store"].sealed


def test_idle_lock_can_be_turned_off(instance, store_key):
    app = create_app(
        instance, key=bytearray(store_key), settings={"lock.idle_hours": 0}, testing=True
    )
    now = [1_800_000_000]
    app.config["CASEWORK_CLOCK"] = lambda: now[0]
    lifecycle.tick(app)
    now[0] += 720 * 3600
    assert not lifecycle.tick(app)
    assert not app.extensions["casework_store"].sealed
    app.extensions["casework_store"].lock()


def test_lock_while_requests_are_in_flight_never_gives_a_500(app, accounts):
    accounts.create("lake")
    clients = [app.test_client() for _ in range(6)]
    for each in clients:
        accounts.signin("lake", client=each)
    statuses: list[int] = []
    start = threading.Barrier(len(clients) + 1)

    def browse(client) -> None:
        start.wait()
        for _ in range(40):
            statuses.append(client.get("/").status_code)
            statuses.append(client.get("/signin").status_code)

    workers = [threading.Thread(target=browse, args=(each,)) for each in clients]
    for worker in workers:
        worker.start()
    start.wait()
    assert lifecycle.lock_store(app, "manual")
    for worker in workers:
        worker.join()
    assert 500 not in statuses
    assert set(statuses) <= {200, 302, 503}
    assert 503 in statuses
    unlock(app.test_client())
    conn = app.extensions["casework_store"].conn()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_key_file_store_is_unlocked_by_a_coordinator_or_the_recovery_key(tmp_path, instance):
    from helpers.instance import CHEAP_KDF

    from casework.vault.store import Store

    Store(instance).create_with_key_file(tmp_path / "store.key", CHEAP_KDF)
    app = create_app(instance, tls=False, testing=True)
    client = app.test_client()
    page = client.get("/", headers=EN)
    assert page.status_code == 503
    assert 'name="handle"' in page.text and 'name="code"' in page.text
    assert "Use the recovery key" in page.text
