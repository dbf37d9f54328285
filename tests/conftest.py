"""Fixtures: a temporary instance with cheap KDF and hashing, the app, clients, sign-in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from casework import create_app, keys
from casework.store import Store, invites

PASSPHRASE = "correct horse battery staple"
PASSWORD = "a long enough test password"
CHEAP_CONFIG = """\
[kdf]
time_cost = 1
memory_kib = 8
parallelism = 1

[passwords]
time_cost = 1
memory_kib = 8
parallelism = 1
"""
CHEAP_KDF = keys.KdfParams(time_cost=1, memory_kib=8, parallelism=1)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    (path / "config.toml").write_text(CHEAP_CONFIG)
    return path


@pytest.fixture
def store_key(instance: Path) -> bytearray:
    return Store(instance).create(PASSPHRASE, CHEAP_KDF)


@pytest.fixture
def app(instance: Path, store_key: bytearray):
    app = create_app(instance, key=bytearray(store_key), tls=False, testing=True)
    yield app
    app.extensions["casework_store"].lock()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def conn(app):
    return app.extensions["casework_store"].conn()


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
    if match is None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Accounts:
    """Creates people through the real setup link and signs them in."""

    def __init__(self, app, client) -> None:
        self.app, self.client = app, client

    def create(self, handle: str, role: str = "coordinator", client=None) -> None:
        client = client or self.app.test_client()
        conn = self.app.extensions["casework_store"].conn()
        with self.app.app_context():
            token = invites.create(conn, "setup", role, _now(self.app), 24)
        page = client.get(f"/setup/{token}")
        response = client.post(
            f"/setup/{token}",
            data={
                "handle": handle,
                "password": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": csrf_token(page),
            },
        )
        assert response.status_code == 302, response.text

    def signin(self, handle: str, client=None):
        client = client or self.client
        page = client.get("/signin")
        return client.post(
            "/signin",
            data={"handle": handle, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )


def _now(app) -> int:
    return int(app.config["CASEWORK_CLOCK"]())


@pytest.fixture
def accounts(app, client) -> Accounts:
    return Accounts(app, client)
