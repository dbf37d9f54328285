"""Forms through the Flask test client: the one ``post()``, with its CSRF token."""

from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
# No route matches it: its 404 page is the cheapest page with a token (the sign-out form).
NO_SUCH_PAGE = "/-/no-such-page"


def token_in(text: str) -> str | None:
    """The first CSRF token in a page, or None."""
    match = CSRF.search(text)
    return match.group(1) if match else None


def csrf_token(response) -> str:
    """The CSRF token of a page the test already has."""
    token = token_in(response.text)
    assert token, "no CSRF token in the page"
    return token


def fresh_token(client) -> str:
    """This session's CSRF token from the cheapest page that shows one.

    Signed in: a 404 page (its sign-out form). Signed out or sealed: the sign-in page
    (its form, or the sealed page's unlock form).
    """
    if client.get_cookie("casework") is not None:
        token = token_in(client.get(NO_SUCH_PAGE).text)
        if token is not None:
            return token
    return csrf_token(client.get("/signin"))


def post(client, url: str, data: dict | None = None, page: str | None = None):
    """POST ``data`` to ``url`` with this session's CSRF token.

    The token comes from ``page`` when the test means a person's visit to it first, else
    from the cheapest page (``fresh_token``).
    """
    token = csrf_token(client.get(page)) if page else fresh_token(client)
    return client.post(url, data={**(data or {}), "csrf_token": token})


def english(client):
    """Make a test client ask for English pages (the instance default is French)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
