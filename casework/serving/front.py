"""The listening socket, the caps on open connections, TLS handshakes under a deadline,
the worker pool, counters reported once a minute, and a clean stop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import socket
import ssl
import struct
import threading
from collections import Counter
from dataclasses import dataclass

from casework.serving.connection import Connection

log = logging.getLogger("casework.serving")
REPORT_SECONDS = 60
BACKLOG = 1024
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset
# What the per-minute line calls each counted event (never who or what it was).
REASONS = {
    "refused": "refused by the connection caps",
    "handshake": "TLS handshakes failed or too slow",
    "idle": "idle connections closed",
    "header": "slow request heads closed (408)",
    "body": "slow request bodies closed (408)",
    "send": "slow readers dropped",
    "too_large": "requests refused as too large (413/431)",
    "bad": "malformed requests refused (400)",
    "io": "connection errors",
}


@dataclass(frozen=True)
class Limits:
    """Deadlines (seconds) and sizes (bytes, counts) from the ``serving.*`` settings."""

    handshake_seconds: float = 10
    idle_seconds: float = 30
    header_seconds: float = 10
    body_seconds: float = 30
    send_seconds: float = 30
    max_header_bytes: int = 16 * 1024
    max_headers: int = 64
    max_body_bytes: int = 128 * 1024
    max_connections: int = 512
    max_per_address: int = 64

    @classmethod
    def from_settings(cls, settings: dict) -> Limits:
        return cls(
            handshake_seconds=settings["serving.handshake_seconds"],
            idle_seconds=settings["serving.idle_seconds"],
            header_seconds=settings["serving.header_seconds"],
            body_seconds=settings["serving.body_seconds"],
            send_seconds=settings["serving.send_seconds"],
            max_header_bytes=settings["serving.max_header_kib"] * 1024,
            max_headers=settings["serving.max_headers"],
            max_body_bytes=settings["max_request_kib"] * 1024,
            max_connections=settings["serving.max_connections"],
            max_per_address=settings["serving.max_connections_per_address"],
        )


class Slot:
    """One admitted connection, counted against its address until released (once)."""

    __slots__ = ("address", "front")

    def __init__(self, front: Front, address: str) -> None:
        self.front, self.address = front, address

    def release(self) -> None:
        if self.front is not None:
            self.front.release(self.address)
            self.front = None


def tls_context(cert_path: str, key_path: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    context.set_alpn_protocols(["http/1.1"])
    return context


class Front:
    """Bound at construction (OSError when the port is taken); ``serve()`` runs the loop
    in the calling thread until ``stop()`` (from any thread) or SIGTERM/SIGINT."""

    def __init__(self, app, host: str, port: int, threads: int, limits: Limits, tls=None):
        self.app, self.limits, self.threads, self.tls = app, limits, threads, tls
        self.scheme = "https" if tls is not None else "http"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(BACKLOG)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.bind_addr = self.socket.getsockname()[:2]
        self.server_address = (host, self.bind_addr[1])
        self.per_address: Counter[str] = Counter()
        self.open_count = 0
        self.connections: set[Connection] = set()
        self.counts: Counter[str] = Counter()
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping = False
        self._stop_event: asyncio.Event | None = None
        self._stopped = threading.Event()

    # --- admission ---------------------------------------------------------------------
    def admit(self, address: str) -> Slot | None:
        limits = self.limits
        if self.open_count >= limits.max_connections:
            return None
        if self.per_address[address] >= limits.max_per_address:
            return None
        self.open_count += 1
        self.per_address[address] += 1
        return Slot(self, address)

    def release(self, address: str) -> None:
        self.open_count -= 1
        self.per_address[address] -= 1
        if self.per_address[address] <= 0:
            del self.per_address[address]

    def opened(self, connection: Connection) -> None:
        self.connections.add(connection)

    def closed(self, connection: Connection) -> None:
        self.connections.discard(connection)

    def count(self, reason: str) -> None:
        self.counts[reason] += 1

    # --- the loop ----------------------------------------------------------------------
    def serve(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_debug(False)  # debug mode logs every peer: never on
        loop.set_exception_handler(self._loop_error)
        try:
            loop.run_until_complete(self._main(loop))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._stopped.set()

    async def _main(self, loop) -> None:
        self.loop = loop
        self._stop_event = asyncio.Event()
        self.pool = concurrent.futures.ThreadPoolExecutor(self.threads, "casework-worker")
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self._stop_event.set)
        accepting = loop.create_task(self._accept(loop))
        reporting = loop.create_task(self._report_every_minute())
        await self._stop_event.wait()
        self.stopping = True
        accepting.cancel()
        reporting.cancel()
        self.socket.close()
        # In-flight requests finish (workers never wait on a client); then every
        # connection goes, and the last counts are reported.
        await loop.run_in_executor(None, self.pool.shutdown, True)
        for connection in list(self.connections):
            connection.abort()
        await asyncio.sleep(0)
        self._report()

    async def _accept(self, loop) -> None:
        while True:
            try:
                conn, peer = await loop.sock_accept(self.socket)
            except asyncio.CancelledError:
                raise
            except OSError as exc:  # EMFILE and the like: say so once a minute, go on
                self.count("io")
                log.debug("serving: accept failed (%s)", type(exc).__name__)
                await asyncio.sleep(0.05)
                continue
            slot = self.admit(peer[0])
            if slot is None:
                self.count("refused")
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
                conn.close()  # a reset: no handshake, no buffer, nothing to wait for
                continue
            loop.create_task(self._start(loop, conn, slot))

    async def _start(self, loop, conn: socket.socket, slot: Slot) -> None:
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.connect_accepted_socket(
                lambda: Connection(self, slot),
                conn,
                ssl=self.tls,
                ssl_handshake_timeout=self.limits.handshake_seconds if self.tls else None,
            )
        except (OSError, EOFError):  # ssl.SSLError is an OSError
            self.count("handshake")
            slot.release()
            conn.close()
        except asyncio.CancelledError:
            slot.release()
            conn.close()

    def _loop_error(self, loop, context: dict) -> None:
        # asyncio's own messages carry the transport and peer: keep only the kind.
        self.count("io")
        exc = context.get("exception")
        log.debug("serving: %s", type(exc).__name__ if exc else "event-loop error")

    async def _report_every_minute(self) -> None:
        while True:
            await asyncio.sleep(REPORT_SECONDS)
            self._report()

    def _report(self) -> None:
        """One line with counts only, when something happened since the last one."""
        if not self.counts:
            return
        parts = [f"{REASONS[k]} {n}" for k, n in sorted(self.counts.items())]
        log.info("serving: %s", ", ".join(parts))
        self.counts.clear()

    def stop(self) -> None:
        """Stop serving (from any thread); returns once the loop has ended."""
        loop, event = self.loop, self._stop_event
        if loop is None or event is None or loop.is_closed():
            self.socket.close()
            return
        if self._stopped.is_set():
            return
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # the loop already closed
            return
        self._stopped.wait(30)
