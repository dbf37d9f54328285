"""Hostile clients for tests and ./scripts/bench part F, on loopback only: connections
that send their head or body one byte at a time, say nothing, or stall a TLS handshake,
each kind reopened as soon as the server drops it (so that they stay held open).

Source addresses are picked in 127.0.0.0/8 so that the per-address cap sees several
hostile devices rather than one; every loop is bounded by ``stop()`` or a deadline.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import threading
import time
from collections import Counter

KINDS = ("slow_header", "slow_body", "silent", "stalled_handshake")
# The first bytes of a TLS record carrying a ClientHello: a handshake begun, never ended.
PARTIAL_HELLO = bytes.fromhex("16030100c8010000c40303")


def tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # hostile clients do not care who answers
    return context


def connect(port: int, source: str, timeout: float = 5) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
    except OSError:
        sock.close()  # refused at once (the cap): no socket left for the collector to warn of
        raise
    return sock


class Swarm:
    """Hold ``counts[kind]`` connections of each kind open in one background thread."""

    def __init__(self, port: int, counts: dict, sources: list[str], tls: bool = True,
                 interval: float = 2.0) -> None:  # fmt: skip
        self.port, self.counts, self.sources, self.tls = port, counts, sources, tls
        self.interval = interval
        self.context = tls_context()
        self.selector = selectors.DefaultSelector()
        self.held: dict[socket.socket, list] = {}  # socket -> [kind, next send time]
        self.stats: Counter[str] = Counter()
        self._stop = threading.Event()
        self._number = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self, settle: float = 10) -> Swarm:
        """Open every connection, then keep them; returns once all are open (or ``settle``)."""
        self.thread.start()
        deadline = time.monotonic() + settle
        wanted = sum(self.counts.values())
        while len(self.held) < wanted and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def open_count(self) -> int:
        return len(self.held)

    def stop(self) -> dict:
        self._stop.set()
        self.thread.join(timeout=30)
        for sock in list(self.held):
            self._drop(sock)
        self.selector.close()
        return dict(self.stats)

    def _run(self) -> None:
        while not self._stop.is_set():
            for kind in KINDS:
                missing = self.counts.get(kind, 0) - sum(
                    1 for v in self.held.values() if v[0] == kind
                )
                for _ in range(max(0, missing)):
                    if self._stop.is_set():
                        return
                    self._open(kind)
            now = time.monotonic()
            for sock, state in list(self.held.items()):
                if state[1] <= now and state[0] in ("slow_header", "slow_body"):
                    self._trickle(sock, state, now)
            for key, _ in self.selector.select(timeout=0.2):
                self._readable(key.fileobj)

    def _source(self) -> str:
        self._number += 1
        return self.sources[self._number % len(self.sources)]

    def _open(self, kind: str) -> None:
        try:
            sock = connect(self.port, self._source())
            if kind == "stalled_handshake":
                sock.sendall(PARTIAL_HELLO)
            elif kind != "silent":
                if self.tls:
                    sock = self.context.wrap_socket(sock)
                sock.sendall(self._opening(kind))
        except (OSError, ssl.SSLError):
            self.stats["refused_or_failed"] += 1
            time.sleep(0.05)  # refused by a cap: try again a little later
            return
        sock.setblocking(False)
        self.held[sock] = [kind, time.monotonic() + self.interval]
        self.selector.register(sock, selectors.EVENT_READ)
        self.stats[f"{kind}_opened"] += 1

    @staticmethod
    def _opening(kind: str) -> bytes:
        if kind == "slow_header":
            return b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
        return (b"POST /signin HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\nhandle=")  # fmt: skip

    def _trickle(self, sock, state, now: float) -> None:
        try:
            sock.send(b"a")
            state[1] = now + self.interval
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            state[1] = now + self.interval
        except OSError:
            self._closed_by_server(sock)

    def _readable(self, sock) -> None:
        try:
            data = sock.recv(4096)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except OSError:
            data = b""
        if not data or data.startswith(b"HTTP/1.1 408"):
            self._closed_by_server(sock)

    def _closed_by_server(self, sock) -> None:
        self.stats[f"{self.held[sock][0]}_closed"] += 1
        self._drop(sock)

    def _drop(self, sock) -> None:
        self.held.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(sock)
        sock.close()


def refused_beyond_cap(port: int, source: str, attempts: int, wait: float = 1.0) -> int:
    """Open ``attempts`` silent connections from one address; count those reset at once."""
    socks, refused = [], 0
    for _ in range(attempts):
        try:
            socks.append(connect(port, source))
        except OSError:
            refused += 1
    time.sleep(wait)
    for sock in socks:
        sock.settimeout(0.01)
        try:
            if sock.recv(1) == b"":
                refused += 1
        except TimeoutError:
            pass  # still open: admitted, waiting for its handshake
        except OSError:
            refused += 1
        sock.close()
    return refused


def burst(port: int, attempts: int, seconds: float, sources: list[str]) -> dict:
    """Up to ``attempts`` connect-and-drop attempts within ``seconds``; returns counts."""
    done: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    for number in range(attempts):
        if time.monotonic() > deadline:
            break
        try:
            sock = connect(port, sources[number % len(sources)], timeout=2)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            sock.close()
            done["connected"] += 1
        except OSError:
            done["failed"] += 1
    return dict(done)
