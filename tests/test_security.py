"""Deny by default, CSRF on every state change, and the headers on every response."""

from __future__ import annotations

import pytest
from helpers.forms import csrf_token
from helpers.instance import PASSWORD


def test_no_get_route_is_mutating_by_name(app):
    for rule in app.url_map.iter_rules():
        if any(word in rule.endpoint for word in ("signout", "delete", "lock", "purge")):
            assert "GET" not in rule.methods, rule.endpoint


def test_anonymous_get_of_a_private_page_goes_to_signin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


def test_post_without_csrf_token_is_refused_and_changes_nothing(accounts, client, conn):
    accounts.create("river")
    sessions_before = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    page = client.get("/signin")
    token = csrf_token(page)
    refused = client.post("/signin", data={"handle": "river", "password": PASSWORD})
    assert refused.status_code == 400
    forged = client.post(
        "/signin", data={"handle": "river", "password": PASSWORD, "csrf_token": token + "x"}
    )
    assert forged.status_code == 400
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == sessions_before
    assert client.get("/").status_code == 302  # still signed out


def test_signout_is_post_only_and_needs_csrf(accounts, client):
    accounts.create("river")
    accounts.signin("river")
    assert client.get("/signout").status_code == 405
    assert client.post("/signout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@pytest.mark.parametrize(
    ("path", "status"),
    [("/signin", 200), ("/no-such-page", 404), ("/", 302), ("/healthz", 200), ("/signout", 405)],
)
def test_security_headers_on_every_response(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    for header, value in EXPECTED_HEADERS.items():
        assert response.headers[header] == value
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_are_cacheable_but_protected(client):
    response = client.get("/static/casework.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_errors_carry_headers_and_no_trace(client):
    response = client.post("/signin", data={"x": "y"})
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert response.headers["Content-Security-Policy"]


def test_request_size_limit_gives_413(client):
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={"handle": "h" * 1_000_000, "password": "x", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 413


def test_pages_have_no_inline_script_or_style_and_no_other_origin(accounts, client):
    accounts.create("river")
    for page in (client.get("/signin"), accounts.signin("river"), client.get("/")):
        text = page.text
        assert "<script" not in text
        assert "style=" not in text and "<style" not in text
        assert "http://" not in text and "https://" not in text


def test_next_stays_on_our_host(accounts, client):
    accounts.create("river", "volunteer")  # no second step: the redirect is the password's
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        page = client.get("/signin")
        response = client.post(
            "/signin",
            data={
                "handle": "river",
                "password": PASSWORD,
                "next": target,
                "csrf_token": csrf_token(page),
            },
        )
        assert response.headers["Location"] == "/"
        client.post("/signout", data={"csrf_token": csrf_token(client.get("/"))})


def test_a_sessions_csrf_token_stays_the_same_and_good_on_every_page(
    accounts, client, app, monkeypatch
):
    """The token is signed once per session: an hour later (the signature's time has no
    limit) the pages carry the same one, and it still works; another person's session
    has its own, which is refused here."""
    import itsdangerous.timed

    accounts.create("river")
    accounts.create("delta")
    accounts.signin("river")
    first = csrf_token(client.get("/"))
    later = itsdangerous.timed.time.time() + 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert csrf_token(client.get("/")) == first
    other = app.test_client()
    accounts.signin("delta", client=other)
    theirs = csrf_token(other.get("/"))
    assert theirs != first
    assert client.post("/signout", data={"csrf_token": theirs}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/signout", data={"csrf_token": first}).status_code == 302
    assert client.get("/").status_code == 302  # signed out


def test_locking_forgets_every_signed_token(accounts, client, app):
    from casework.web import gate, lifecycle

    accounts.create("river")
    accounts.signin("river")
    csrf_token(client.get("/"))
    assert gate._SIGNED
    assert lifecycle.lock_store(app, "test")
    assert not gate._SIGNED


def test_a_security_header_set_before_is_replaced_not_repeated(app):
    from flask import Response

    from casework.web import gate

    with app.test_request_context("/"):
        response = Response("x", headers={"X-Frame-Options": "SAMEORIGIN", "Pragma": "x"})
        headers = gate.set_headers(response).headers
        assert headers.getlist("X-Frame-Options") == ["DENY"]
        assert headers.getlist("Pragma") == ["no-cache"]
        assert headers.getlist("Content-Security-Policy") == [gate.CSP]
        fresh = gate.set_headers(Response("y")).headers
        assert [name for name, _ in fresh].count("Cache-Control") == 1
        assert fresh["Referrer-Policy"] == "no-referrer"
