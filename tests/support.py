"""Shared test data and helpers (imported by tests and by conftest fixtures)."""

from __future__ import annotations

import re

from casework import keys
from casework.store import invites

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
