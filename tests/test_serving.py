"""The production server: TLS from one process, no key derivation and no new connections
per request."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
from helpers.instance import PASSWORD
from helpers.live import LiveClient

from casework import create_app, server
from casework.store import invites
from casework.vault import keys

THREADS = 4


@pytest.fixture
def live(instance, store_key):
    server.make_certificate(instance)
    app = create_app(instance, key=bytearray(store_key), tls=True)
    httpd = server.build_server(app, "127.0.0.1", 0, THREADS, tls=True)
    thread = threading.Thread(target=httpd.serve, daemon=True)
    thread.start()
    clients: list[LiveClient] = []

    def connect() -> LiveClient:
        clients.append(LiveClient("localhost", httpd.bind_addr[1], str(instance / "tls/cert.pem")))
        return clients[-1]

    yield app, connect
    for each in clients:
        each.close()
    httpd.stop()
    thread.join(timeout=10)
    app.extensions["casework_store"].lock()


def test_200_requests_derive_no_key_and_open_no_extra_connection(live, instance):
    app, connect = live
    store = app.extensions["casework_store"]
    # A volunteer: a coordinator would first have to enrol a second factor.
    token = invites.create(store.conn(), "setup", "volunteer", 2_000_000_000 - 10**9, 10**6)
    client = connect()
    status, _ = client.post(
        f"/setup/{token}", {"handle": "river", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert status == 302
    derivations = keys.derivation_count()
    clients = [connect() for _ in range(4)]
    for extra in clients:
        assert extra.post("/signin", {"handle": "river", "password": PASSWORD})[0] == 302

    statuses = []

    def hammer(each: LiveClient) -> None:
        for number in range(50):
            statuses.append(each.get("/" if number % 2 else "/healthz")[0])

    workers = [threading.Thread(target=hammer, args=(each,)) for each in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(statuses) == 200
    assert set(statuses) == {200}
    assert keys.derivation_count() == derivations
    # One connection per server thread, plus the one this test thread used for the link.
    assert store.pool_connections <= THREADS + 1


def test_tls_certificate_names_this_machine(instance):
    from cryptography import x509

    server.make_certificate(instance, ["127.0.0.1"])
    cert = x509.load_pem_x509_certificate((instance / "tls" / "cert.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert any(str(ip) == "127.0.0.1" for ip in names.get_values_for_type(x509.IPAddress))


def raw_exchange(port: int, cafile: str, data: bytes) -> list[bytes]:
    """Send ``data`` on one TLS connection; read until the close or 2 s of silence."""
    context = ssl.create_default_context(cafile=cafile)
    plain = socket.create_connection(("127.0.0.1", port), timeout=2)
    with context.wrap_socket(plain, server_hostname="localhost") as sock:
        sock.sendall(data)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break  # kept alive: everything asked for has come
            if not chunk:
                break
            received += chunk
    return [b"HTTP/1.1 " + part for part in received.split(b"HTTP/1.1 ")[1:]]


HEALTH = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "statuses"),
    [
        (HEALTH * 3, [b"200", b"200", b"200"]),  # pipelined: answered in order
        (b"HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" + HEALTH, [b"200", b"200"]),
        (b"POST /signin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", [b"501"]),
        (b"GET /healthz HTTP/1.1\r\n" + b"X-A: b\r\n" * 100 + b"\r\n", [b"431"]),
        (b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", [b"431"]),
        (b"POST /signin HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", [b"413"]),
        (b"GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", [b"400"]),
        (b"GET /healthz HTTP/2.0\r\n\r\n", [b"505"]),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", [b"400"]),
        (b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n" + HEALTH, [b"200"]),
    ],
)
def test_heads_are_parsed_strictly_and_pipelining_keeps_order(
    live, instance, request_bytes, statuses
):
    _app, connect = live
    port = connect().conn.port
    answers = raw_exchange(port, str(instance / "tls/cert.pem"), request_bytes)
    assert [answer[9:12] for answer in answers] == statuses
    if request_bytes.startswith(b"HEAD"):
        assert answers[0].endswith(b"\r\n\r\n")  # a HEAD answer has no body
