"""Signed-out sessions: bounded per address; a pending sign-in no traffic can push out."""

from __future__ import annotations

import pytest
from helpers.forms import csrf_token, english, post
from helpers.instance import PASSWORD

from casework.web.signed_out import PENDING_KEY, PENDING_SECONDS, SignedOutSessions

FLOOD = 20_000


def from_address(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _password_step(app, address: str):
    client = english(from_address(app.test_client(), address))
    response = post(client, "/signin", {"handle": "ash", "password": PASSWORD})
    assert response.headers["Location"] == "/signin/code"
    return client


@pytest.mark.slow  # 20,000 requests: about 30 s
def test_a_flood_from_one_address_leaves_a_pending_signin_working(app, accounts):
    accounts.create("ash")
    coordinator = _password_step(app, "192.0.2.10")
    flooder = from_address(app.test_client(use_cookies=False), "198.51.100.7")
    for _ in range(FLOOD):
        assert flooder.get("/signin").status_code == 200
    table = app.session_interface.signed_out
    assert len(table) <= app.config["CASEWORK"]["sessions.signed_out_per_address"] + 1
    response = post(
        coordinator, "/signin/code", {"code": accounts.fresh_code("ash")}, "/signin/code"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert coordinator.get("/").status_code == 200


def test_a_neighbours_signed_out_form_survives_a_flood(app):
    neighbour = from_address(app.test_client(), "192.0.2.11")
    token = csrf_token(neighbour.get("/signin"))
    flooder = from_address(app.test_client(use_cookies=False), "198.51.100.7")
    for _ in range(500):
        flooder.get("/signin")
    # The token still belongs to a known session: a wrong password, not a 400 for CSRF.
    response = neighbour.post("/signin", data={"handle": "x", "password": "y", "csrf_token": token})
    assert response.status_code == 200


def _pending(account: str) -> dict:
    return {"csrf_token": "t", PENDING_KEY: {"user": account, "at": 0, "next": ""}}


def test_pending_signins_outlast_a_flood_from_many_addresses():
    table = SignedOutSessions(per_address=4, capacity=100)
    table.put("pending", _pending("ash"), 0, "192.0.2.10")
    for n in range(1000):
        table.put(f"s{n}", {"csrf_token": "t"}, 0, f"10.0.{n // 250}.{n % 250}")
    assert table.get("pending", 1, 60) is not None
    assert len(table) == 101
    assert table.get("s0", 1, 60) is None and table.get("s999", 1, 60) is not None


def test_one_address_pushes_out_only_its_own_oldest():
    table = SignedOutSessions(per_address=4, capacity=100)
    table.put("other", {"csrf_token": "t"}, 0, "192.0.2.11")
    for n in range(10):
        table.put(f"s{n}", {"csrf_token": "t"}, 0, "198.51.100.7")
    assert table.get("other", 1, 60) is not None
    assert [table.get(f"s{n}", 1, 60) is not None for n in range(10)] == [False] * 6 + [True] * 4
    assert table.pushed_out == 6


def test_a_pending_signin_is_one_per_account_and_short_lived():
    table = SignedOutSessions(per_address=4)
    table.put("first", _pending("ash"), 0, "192.0.2.10")
    table.put("second", _pending("ash"), 5, "192.0.2.12")
    table.put("someone", _pending("lake"), 5, "192.0.2.12")
    assert table.get("first", 6, 60) is None  # a new password step for ash replaced it
    assert table.get("someone", 6, 60) is not None
    assert table.get("second", 5 + PENDING_SECONDS + 1, 10**6) is None
    assert len(table) == 1
