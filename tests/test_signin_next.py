"""Where sign-in goes next: only a local path, and never a 500 for a hostile `next`.

Regression: a `next` with a newline passed safe_next (urlsplit drops \\r\\n\\t before
parsing) and reached the Location header, where Werkzeug refuses it: a 500 after a
correct password, on both the password step and the code step.
"""

from __future__ import annotations

import pytest
from helpers.forms import csrf_token
from helpers.instance import PASSWORD

HOSTILE = [
    "/\nfoo",
    "/\r\nSet-Cookie: a=b",
    "/\t/evil.example",
    "/\x00x",
    "/\x7f",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
]


def sign_in(team, app, handle: str, target: str):
    team.now += 90  # a fresh TOTP step and an empty throttle window
    client = app.test_client()
    form = {"handle": handle, "password": PASSWORD, "next": target}
    response = client.post(
        "/signin", data={**form, "csrf_token": csrf_token(client.get("/signin"))}
    )
    if response.headers.get("Location") == "/signin/code":
        code = team.accounts.fresh_code(handle)
        page = client.get("/signin/code")
        response = client.post("/signin/code", data={"code": code, "csrf_token": csrf_token(page)})
    return response


@pytest.mark.parametrize("target", HOSTILE)
@pytest.mark.parametrize("handle", ["vera", "coord"], ids=["password", "code step"])
def test_hostile_next_goes_home(team, app, handle, target):
    if handle == "vera":
        team.person("vera")
    response = sign_in(team, app, handle, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_local_next_is_followed(team, app):
    team.person("vera")
    response = sign_in(team, app, "vera", "/week?day=2026-03-03")
    assert response.headers["Location"] == "/week?day=2026-03-03"
