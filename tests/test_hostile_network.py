"""SECURITY.md items 21 and 23 against the real `casework serve`: stalled connections of
every kind held open do not stop a signed-in volunteer, slow clients are closed by their
deadline, the connection caps refuse the excess, a huge header costs the server nothing,
a client that reads its answers one byte a second is dropped after the send deadline
without holding a worker, and clients that vanish (before or in the middle of their
answer) leave no traceback and no address or port in its output."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import time
from pathlib import Path

import pytest
from helpers.accounts import stored_account
from helpers.hostile import Swarm, connect, refused_beyond_cap, tls_context
from helpers.instance import CHEAP_CONFIG, CHEAP_KDF, PASSPHRASE, PASSWORD
from helpers.served import Served

from casework.store import db
from casework.vault.store import Store

pytestmark = pytest.mark.slow

HEADER_SECONDS = 2
SEND_SECONDS = 2
IDLE_SECONDS = 5
PER_ADDRESS = 20
TOTAL = 120
SERVING = f"""
[serving]
handshake_seconds = 3
header_seconds = {HEADER_SECONDS}
body_seconds = 3
send_seconds = {SEND_SECONDS}
idle_seconds = {IDLE_SECONDS}
max_connections = {TOTAL}
max_connections_per_address = {PER_ADDRESS}
"""
HOSTILE_SOURCES = [f"127.0.0.{n}" for n in range(2, 6)]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    instance = tmp_path_factory.mktemp("hostile") / "instance"
    instance.mkdir()
    (instance / "config.toml").write_text(CHEAP_CONFIG + SERVING)
    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    conn = db.connect(instance / "casework.db", key)
    try:
        stored_account(conn, "river", "volunteer", int(time.time()))
    finally:
        conn.close()
    server = Served(instance, "--passphrase-stdin", stdin_text=f"{PASSPHRASE}\n")
    yield server
    server.stop()


def signed_in(served: Served):
    client = served.client()
    assert client.post("/signin", {"handle": "river", "password": PASSWORD})[0] == 302
    return client


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def tls_socket(served: Served, source: str = "127.0.0.1", rcvbuf: int = 0) -> ssl.SSLSocket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:  # before connecting, so that the window the server sees stays small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", served.port))
    return tls_context().wrap_socket(sock)


# About 1.5 MB of answers asked at once: far more than the socket buffers hold.
PIPELINED = b"GET /signin HTTP/1.1\r\nHost: localhost\r\n\r\n" * 300


def held_by_server(server_port: int, client_port: int) -> bool:
    """Whether the server still holds its end open (ESTABLISHED in /proc/net/tcp); once it
    closes or drops it, the kernel alone finishes (or forgets) what is left to send."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            return state == "01"
    return False


def read_one_byte_a_second(sock: ssl.SSLSocket, server_port: int, limit: float) -> float:
    """Take the answers one byte a second until the server lets go; seconds it took."""
    started, client_port = time.monotonic(), sock.getsockname()[1]
    sock.settimeout(0.2)
    while time.monotonic() - started < limit and held_by_server(server_port, client_port):
        try:
            sock.recv(1)
        except TimeoutError:
            pass
        except OSError:  # reset by the server
            break
        time.sleep(1)
    return time.monotonic() - started


def test_a_volunteer_is_served_while_stalled_connections_of_every_kind_are_held(served):
    client = signed_in(served)
    counts = dict.fromkeys(("slow_header", "slow_body", "silent", "stalled_handshake"), 16)
    swarm = Swarm(served.port, counts, HOSTILE_SOURCES, interval=0.5).start()
    try:
        assert swarm.open_count() == 64
        for _ in range(5):
            started = time.monotonic()
            status, page = client.get("/")
            assert (status, "river" in page) == (200, True)
            assert time.monotonic() - started < 2  # each stalled kind alone froze cheroot
        assert swarm.open_count() >= 48  # reopened as the deadlines close them
    finally:
        stats = swarm.stop()
        client.close()
    assert stats["slow_header_opened"] >= 16 and stats["stalled_handshake_opened"] >= 16


def test_a_slow_header_client_is_closed_within_the_deadline(served):
    sock = tls_socket(served)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    sock.settimeout(0.5)
    started, answer = time.monotonic(), b""
    while time.monotonic() - started < HEADER_SECONDS + 5:
        try:
            sock.send(b"a")
            answer = sock.recv(4096)
            if answer:
                break
        except TimeoutError:
            continue
        except OSError:
            break
    took = time.monotonic() - started
    sock.close()
    assert HEADER_SECONDS - 0.5 <= took <= HEADER_SECONDS + 1.5
    assert answer.startswith(b"HTTP/1.1 408") or answer == b""


def test_the_connection_caps_refuse_the_excess(served):
    assert refused_beyond_cap(served.port, "127.0.0.9", PER_ADDRESS + 5) == 5
    held = [
        connect(served.port, f"127.0.1.{n}")
        for n in range(TOTAL // PER_ADDRESS)
        for _ in range(PER_ADDRESS)
    ]
    try:
        time.sleep(0.5)
        assert refused_beyond_cap(served.port, "127.0.2.1", 7, wait=0.5) == 7
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)  # the server sees them go
    client = signed_in(served)
    assert client.get("/")[0] == 200
    client.close()


def test_a_100_mb_header_is_refused_and_the_server_does_not_grow(served):
    before = rss_kib(served.process.pid)
    for _ in range(2):
        sock = tls_socket(served)
        chunk, sent, answer = b"b" * 65536, 0, b""
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Huge: ")
            while sent < 100 * 2**20:
                sock.sendall(chunk)
                sent += len(chunk)
            answer = sock.recv(4096)
        except OSError:
            pass  # refused: the server closed while we were still sending
        finally:
            sock.close()
        assert sent < 100 * 2**20 or answer.startswith(b"HTTP/1.1 431")
    assert rss_kib(served.process.pid) - before < 4 * 1024


def test_vanishing_clients_leave_no_traceback_and_no_address_in_the_output(served):
    seen_ports = []
    for number in range(10):
        sock = tls_socket(served, "127.0.0.7")
        seen_ports.append(str(sock.getsockname()[1]))
        sock.sendall(b"GET /signin HTTP/1.1\r\nHost: localhost\r\n\r\n" * (1 + number % 3))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        sock.close()  # a reset, before reading the answer
    for _ in range(5):
        plain = connect(served.port, "127.0.0.8")
        plain.sendall(b"GET / HTTP/1.1\r\n\r\n")  # plain HTTP to the TLS port
        plain.close()
    time.sleep(1)
    client = signed_in(served)  # still serving
    assert client.get("/")[0] == 200
    client.close()
    output = served.output
    assert "Traceback" not in output
    for address in ("127.0.0.7", "127.0.0.8", *HOSTILE_SOURCES):
        assert address not in output
    assert not any(f":{port}" in output or f" {port}" in output for port in seen_ports)


def test_phones_refusing_the_certificate_make_one_counted_line_not_one_each(tmp_path):
    """A phone that has not accepted the certificate yet drops the handshake: at most one
    line a minute (here, the one at stop) counts them, never a line (or lines) for each."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.toml").write_text(CHEAP_CONFIG)
    Store(instance).create(PASSPHRASE, CHEAP_KDF)
    served = Served(instance)
    strict = ssl.create_default_context()  # does not trust the self-signed certificate
    for number in range(20):
        sock = connect(served.port, "127.0.0.1")
        if number % 2:
            sock.close()  # gone before any TLS
            continue
        with contextlib.suppress(ssl.SSLError, OSError):
            strict.wrap_socket(sock, server_hostname="localhost")  # refused by the client
        sock.close()
    time.sleep(0.5)
    output = served.stop()
    said = [line for line in output.splitlines() if not line.startswith("DEBUG")]
    about_tls = [line for line in said if "handshake" in line.lower() or "ssl" in line.lower()]
    assert len(about_tls) == 1, output
    assert int(re.search(r"TLS handshakes failed or too slow (\d+)", about_tls[0])[1]) >= 10
    assert "Traceback" not in output
    assert not any(line[:1].isspace() for line in output.splitlines() if line.strip()), output


def test_clients_reading_one_byte_a_second_are_dropped_and_hold_no_worker(served):
    slow = []
    for n in range(8):  # twice the workers: a stuck worker per reader would show
        sock = tls_socket(served, f"127.0.3.{n + 1}", rcvbuf=2048)
        sock.sendall(PIPELINED)
        slow.append(sock)
    try:
        client = signed_in(served)
        for _ in range(3):
            started = time.monotonic()
            assert client.get("/")[0] == 200
            assert time.monotonic() - started < 2
        client.close()
        # Answers the kernel cannot buffer stay unsent SEND_SECONDS, then the connection is
        # dropped; answers it can are handed over, and the idle deadline closes it.
        assert held_by_server(served.port, slow[0].getsockname()[1])  # the probe sees it
        took = read_one_byte_a_second(slow[0], served.port, limit=60)
        assert took <= SEND_SECONDS + IDLE_SECONDS + 10
    finally:
        for sock in slow:
            sock.close()


def test_clients_that_leave_in_the_middle_of_their_answers_cost_nothing(served):
    for number in range(20):
        sock = tls_socket(served, "127.0.0.10")
        sock.sendall(PIPELINED[: 40 * (5 + number)])
        sock.recv(1000 + 500 * number)  # part of the first answers, then gone
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        sock.close()
    time.sleep(1)
    client = signed_in(served)
    assert client.get("/")[0] == 200
    client.close()
    output = served.output
    assert "Traceback" not in output and "127.0.0.10" not in output
