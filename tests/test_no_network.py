"""SECURITY.md item 15: no outbound network, and no page that references another origin.

The whole workflow runs with every socket call to a non-loopback address recorded and
refused; then every GET route is walked for each role with real objects, and every
attribute that makes a browser fetch or navigate must stay on this origin.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers.workflow import Workflow

from casework.store import invites

STATIC = Path(__file__).resolve().parent.parent / "casework" / "static"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
# Attributes a browser follows or fetches from (forms, links, media, refreshes).
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "xlink:href"}
# A scheme (http:, https:, javascript:, data:...), a protocol-relative //host, or \\host.
FOREIGN = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\|/\\)", re.IGNORECASE)


def is_loopback(host) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host.lower() in LOOPBACK_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name to resolve: that is a lookup leaving the machine


class Outbound(OSError):
    """Raised instead of reaching another machine."""


@pytest.fixture
def no_network(monkeypatch):
    """Record and refuse any connection, lookup or datagram to a non-loopback host."""
    attempts: list[tuple[str, object]] = []

    def refuse(what: str, target) -> None:
        attempts.append((what, target))
        raise Outbound(f"outbound {what} to {target!r} refused by the test")

    def host_of(address):
        return address[0] if isinstance(address, tuple) else None  # AF_UNIX paths are local

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_create = socket.socket.sendto, socket.create_connection
    real_getaddrinfo, real_gethostbyname = socket.getaddrinfo, socket.gethostbyname

    def connect(self, address):
        if not is_loopback(host_of(address)):
            refuse("connect", address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if not is_loopback(host_of(address)):
            refuse("connect_ex", address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1]
        if not is_loopback(host_of(address)):
            refuse("sendto", address)
        return real_sendto(self, data, *args)

    def create_connection(address, *args, **kwargs):
        if not is_loopback(address[0]):
            refuse("create_connection", address)
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host):
            refuse("getaddrinfo", host)
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):
        if not is_loopback(host):
            refuse("gethostbyname", host)
        return real_gethostbyname(host)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "gethostbyname", gethostbyname)
    return attempts


def _closing(sock, use):
    with sock:
        use(sock)


@pytest.mark.parametrize(
    "call",
    [
        lambda: socket.create_connection(("192.0.2.1", 443), timeout=0.1),
        lambda: socket.getaddrinfo("example.org", 443),
        lambda: _closing(socket.socket(), lambda s: s.connect(("198.51.100.7", 80))),
        lambda: _closing(
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
            lambda s: s.sendto(b"x", ("8.8.8.8", 53)),
        ),
    ],
    ids=["create_connection", "getaddrinfo", "connect", "sendto"],
)
def test_the_guard_catches_outbound_calls(no_network, call):
    with pytest.raises(Outbound):
        call()
    assert len(no_network) == 1


def test_the_guard_lets_loopback_through(no_network):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()
    socket.getaddrinfo("localhost", 80)
    assert no_network == []


def test_the_whole_workflow_attempts_no_outbound_connection(app, no_network):
    flow = Workflow(app).run()
    assert len(flow.responses) > 40
    assert no_network == []


class UrlAttributes(HTMLParser):
    """Every URL-bearing attribute, inline style and meta refresh of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES:
                urls = [part.split()[0] for part in value.split(",") if part.strip()]
                urls = urls if name == "srcset" else [value]
                self.found += [(tag, name, url) for url in urls]
            elif name == "style" or (tag == "meta" and name == "content" and "url=" in value):
                self.found.append((tag, name, value))

    handle_startendtag = handle_starttag


def foreign_references(html: str) -> list[tuple[str, str, str]]:
    parser = UrlAttributes()
    parser.feed(html)
    wrong = [found for found in parser.found if FOREIGN.match(found[2])]
    wrong += [found for found in parser.found if found[1] in ("style", "content")]
    wrong += [("style", "text", m) for m in re.findall(r"@import|url\(", _inline_styles(html))]
    return wrong


def _inline_styles(html: str) -> str:
    return " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL | re.IGNORECASE))


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdn.example/x.js"></script>',
        '<link rel="stylesheet" href="//fonts.example/css">',
        '<form action="http://collect.example/"></form>',
        '<img srcset="/a.png 1x, https://x.example/b.png 2x">',
        '<a href="javascript:alert(1)">x</a>',
        '<meta http-equiv="refresh" content="0; url=https://x.example/">',
        "<style>@import 'https://x.example/a.css';</style>",
    ],
)
def test_the_page_check_catches_other_origins(html):
    assert foreign_references(html)


def test_the_page_check_accepts_local_paths():
    html = '<a href="/tasks/abc?x=1#y">t</a><form action="/signin"></form><img src="/static/a.png">'
    assert foreign_references(html) == []


def css_problems(css: str) -> list[str]:
    problems = re.findall(r"@import[^;]*", css, re.IGNORECASE)
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", css, re.IGNORECASE):
        if FOREIGN.match(target) and not target.startswith("data:"):
            problems.append(target)
    return problems


def test_stylesheets_load_nothing_from_elsewhere():
    sheets = list(STATIC.glob("**/*.css"))
    assert sheets
    for sheet in sheets:
        assert css_problems(sheet.read_text()) == [], sheet
    assert css_problems("@import url(https://x.example/a.css);")
    assert css_problems("a { background: url(//x.example/i.png) }")


def _fill(flow: Workflow, conn, role_of_link: str):
    with flow.app.app_context():
        setup = invites.create(conn, "setup", "volunteer", flow.now, 24)
        joining = invites.create_with_code(conn, "invite", flow.now, 24, role=role_of_link).token
    volunteer = conn.execute("SELECT public_id FROM users WHERE role = 'volunteer'").fetchone()[0]
    return {"code": flow.case_code, "public_id": volunteer, "token": flow.task_token,
            "setup": setup, "join": joining}  # fmt: skip


@pytest.fixture
def world(app):
    """The workflow's people, one open case and one upcoming task with its volunteer."""
    flow = Workflow(app)
    flow.setup_coordinator()
    flow.invite_volunteer()
    flow.case_code = flow.open_case()
    flow.task_token = flow.add_task(flow.case_code)
    flow.sign_up(flow.task_token)
    return flow


def test_no_page_references_another_origin(app, world, no_network):
    conn = app.extensions["casework_store"].conn()
    anonymous = world._client()
    checked, wrong = 0, []
    visitors = (("anonymous", anonymous), ("volunteer", world.vol), ("coord", world.coord))
    for role, client in visitors:
        values = _fill(world, conn, "volunteer")
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            args = {arg: values[arg] for arg in rule.arguments}
            if rule.endpoint == "auth.setup":
                args["token"] = values["setup"]
            elif rule.endpoint == "links.follow":
                args["token"] = values["join"]
            path = app.url_map.bind("localhost").build(rule.endpoint, args)
            for url in (path, path + "?day=2026-03-03&code=K7M-4QX2-P9R"):
                response = client.get(url)
                assert response.status_code < 500, (role, url)
                checked += response.status_code == 200
                wrong += [(role, url, *found) for found in foreign_references(response.text)]
    for response in world.responses:  # every page the workflow saw, POST answers included
        wrong += [(response.request.path, *f) for f in foreign_references(response.text)]
    assert checked > 40
    assert wrong == []
    assert no_network == []


def test_error_and_sealed_pages_reference_no_other_origin(app, client):
    pages = [client.get("/no-such-page"), client.post("/signin", data={})]
    app.extensions["casework_store"].lock()
    pages.append(client.get("/"))
    assert [page.status_code for page in pages] == [404, 400, 503]
    for page in pages:
        assert foreign_references(page.text) == []
