"""Links that work: printed from public_url or the address actually served, never from
an unchecked Host header, which is refused (400) unless it names this server."""

from __future__ import annotations

import ipaddress
import re

import pytest
from helpers.instance import PASSPHRASE
from helpers.served import Served

from casework import addresses, create_app
from casework.web import hosts


@pytest.mark.parametrize(
    ("header", "bare"),
    [
        ("localhost:8443", "localhost"),
        ("[::1]:8443", "::1"),
        ("[fd00::2]", "fd00::2"),
        ("192.0.2.2", "192.0.2.2"),
        ("Casework.Example.org.", "casework.example.org"),
        ("[broken", ""),
    ],
)
def test_host_headers_are_normalised(header, bare):
    assert hosts.normalise(header) == bare


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "localhost:8443", "[::1]:8443"])
def test_this_server_answers_its_own_names(client, host):
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "casework.example.org", "10.9.9.9:8443"])
def test_another_host_name_gets_400(client, host):
    response = client.get("/auth/signin", headers={"Host": host})
    assert response.status_code == 400
    assert b"Traceback" not in response.data


def test_a_listed_host_and_the_public_url_host_are_accepted(instance, store_key):
    settings = {"allowed_hosts": ["office.lan"], "public_url": "https://casework.example.org"}
    app = create_app(instance, key=bytearray(store_key), tls=False, testing=True, settings=settings)
    try:
        client = app.test_client()
        for host in ("office.lan", "casework.example.org", "localhost"):
            assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
        assert client.get("/healthz", headers={"Host": "other.lan"}).status_code == 400
        hosts.serve_on(app, ["192.0.2.77"], None)
        assert client.get("/healthz", headers={"Host": "192.0.2.77:8443"}).status_code == 200
    finally:
        app.extensions["casework_store"].lock()


def test_invitation_links_use_public_url_whatever_the_host(instance, store_key, accounts):
    app = create_app(
        instance, key=bytearray(store_key), tls=False, testing=True,
        settings={"public_url": "https://casework.example.org"},
    )  # fmt: skip
    try:
        with app.test_request_context("/", headers={"Host": "localhost"}):
            assert hosts.external_url("links.join") == "https://casework.example.org/join"
    finally:
        app.extensions["casework_store"].lock()


def test_served_urls_are_one_per_usable_address():
    mine = [a for a in addresses.interface_addresses() if addresses.usable(a) and a.version == 4]
    urls = addresses.served_urls("0.0.0.0", 18443)
    assert urls == [f"https://{a}:18443" for a in mine] or urls == ["https://localhost:18443"]
    assert addresses.served_urls("127.0.0.1", 443) == ["https://127.0.0.1"]
    assert addresses.served_urls("::1", 8443, "http") == ["http://[::1]:8443"]
    public = addresses.served_urls("127.0.0.1", 8443, public_url="https://c.example.org")
    assert public[0] == "https://c.example.org"


def test_init_prints_the_configured_port_and_an_address_not_a_name(run, instance):
    (instance / "config.toml").write_text("port = 18555\n" + (instance / "config.toml").read_text())
    result = run("init", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    link = re.search(r"https://(\S+?)(:\d+)?/setup/", result.output)
    assert link.group(2) == ":18555"
    host = link.group(1).strip("[]")
    assert host == "localhost" or addresses.usable(ipaddress.ip_address(host))


@pytest.mark.slow
def test_invite_beside_a_running_server_prints_the_port_it_listens_on(run, instance, store_key):
    served = Served(instance)  # sealed, on a free port that is not the configured 8443
    try:
        result = run("invite", "--role", "volunteer", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    finally:
        served.stop()
    assert result.exit_code == 0, result.output
    assert served.port != 8443
    assert f"https://127.0.0.1:{served.port}/join/" in result.output
    assert f"serving on https://127.0.0.1:{served.port}/" in served.output
