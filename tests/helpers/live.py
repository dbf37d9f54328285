"""A tiny HTTPS client for tests against the real server (keeps cookies, reads CSRF)."""

from __future__ import annotations

import http.client
import ssl
import urllib.parse

from helpers.forms import token_in


class LiveClient:
    def __init__(self, host: str, port: int, cafile: str | None) -> None:
        if cafile:
            context = ssl.create_default_context(cafile=cafile)
            self.conn = http.client.HTTPSConnection(host, port, context=context, timeout=30)
        else:
            self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.location: str | None = None  # the last response's Location header

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        self.location = response.getheader("Location")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response.status, text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict, page: str | None = None, csrf: bool = True):
        """POST a form, with the CSRF token read from ``page`` (default: ``path``) first."""
        form = dict(fields)
        if csrf:
            token = token_in(self.get(page or path)[1])
            assert token, f"no CSRF token on {page or path}"
            form["csrf_token"] = token
        return self.request("POST", path, form)

    def close(self) -> None:
        self.conn.close()
