"""One client connection on the event loop: read a whole request under deadlines and
limits, hand it to the worker pool, write the answer back; pipelining and keep-alive.

States: ``idle`` (waiting for a request's first byte), ``head``, ``body``, ``app`` (a worker
has it; reading paused), ``sending`` (the answer is not yet drained), ``closing``.
"""

from __future__ import annotations

import asyncio

from casework.serving.http import BadRequest, parse_head, plain_response
from casework.serving.wsgi import call_app, environ_for

# Past this much unsent data the loop stops parsing further requests on the connection.
WRITE_HIGH = 64 * 1024


class Connection(asyncio.Protocol):
    def __init__(self, front, slot) -> None:
        self.front, self.limits, self.slot = front, front.limits, slot
        self.loop = front.loop
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.scanned = 0
        self.state = "idle"
        self.request = None
        self.timer: asyncio.TimerHandle | None = None
        self.writing_paused = False

    # --- transport callbacks -------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.set_write_buffer_limits(high=WRITE_HIGH)
        self.front.opened(self)
        self._wait_for_request()

    def connection_lost(self, exc) -> None:
        self._cancel_timer()
        self.state = "closing"
        self.transport = None
        self.buffer = bytearray()
        self.front.closed(self)
        self.slot.release()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.state in ("idle", "head", "body"):
            self._advance()
        elif len(self.buffer) > self.limits.max_header_bytes + self.limits.max_body_bytes:
            self.abort()  # pipelined far ahead of the answers: not a browser

    def eof_received(self):
        if self.state in ("app", "sending"):
            return True  # half-closed after sending its request: still answer it
        return None  # close now

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.state == "sending":
            self._wait_for_request()

    # --- reading ---------------------------------------------------------------------
    def _wait_for_request(self) -> None:
        self.state = "idle"
        self._arm(self.limits.idle_seconds, "idle")
        if self.transport is not None:
            self.transport.resume_reading()
        self._advance()

    def _advance(self) -> None:
        limits = self.limits
        if self.state == "idle":
            while self.buffer[:2] == b"\r\n":
                del self.buffer[:2]  # a stray empty line between requests is allowed
            if not self.buffer:
                return
            self.state, self.scanned = "head", 0
            self._arm(limits.header_seconds, "header")
        if self.state == "head":
            end = self.buffer.find(b"\r\n\r\n", max(0, self.scanned - 3))
            if end < 0:
                self.scanned = len(self.buffer)
                if len(self.buffer) > limits.max_header_bytes:
                    self._refuse(431, "too_large")
                return
            if end + 4 > limits.max_header_bytes:
                self._refuse(431, "too_large")
                return
            try:
                self.request = parse_head(bytes(self.buffer[:end]), limits.max_headers)
            except BadRequest as refused:
                self._refuse(refused.status, "too_large" if refused.status == 431 else "bad")
                return
            del self.buffer[: end + 4]
            if self.request.length > limits.max_body_bytes:
                self._refuse(413, "too_large")
                return
            if self.request.expect_continue and self.request.length:
                self.transport.write(plain_response(100))
            self.state = "body"
            self._arm(limits.body_seconds, "body")
        if self.state == "body":
            length = self.request.length
            if len(self.buffer) < length:
                return
            self.request.body = bytes(self.buffer[:length])
            del self.buffer[:length]
            self._dispatch()

    # --- the app and the answer --------------------------------------------------------
    def _dispatch(self) -> None:
        self.state = "app"
        self._cancel_timer()
        self.transport.pause_reading()  # one request at a time; pipelined ones wait
        front = self.front
        if front.stopping:
            self.transport.write(plain_response(503))
            self._close(1)
            return
        environ = environ_for(self.request, front.server_address, self.slot.address, front.scheme)
        future = self.loop.run_in_executor(
            front.pool, call_app, front.app, environ, self.request.keep_alive
        )
        future.add_done_callback(self._answered)

    def _answered(self, future) -> None:
        if self.transport is None or future.cancelled():
            return  # the client left meanwhile: the answer is dropped, the worker is free
        data, keep = future.result()
        if not keep or self.front.stopping:
            self.transport.write(data)
            self._close(self.limits.send_seconds)
            return
        self.transport.write(data)
        if self.writing_paused:
            self.state = "sending"
            self._arm(self.limits.send_seconds, "send")
        else:
            self._wait_for_request()

    # --- endings ---------------------------------------------------------------------
    def _refuse(self, status: int, reason: str) -> None:
        self.front.count(reason)
        self.transport.write(plain_response(status))
        self._close(self.limits.send_seconds)

    def _expire(self, reason: str) -> None:
        self.timer = None
        if self.transport is None:
            return
        self.front.count(reason)
        if reason in ("header", "body"):
            self.transport.write(plain_response(408))
            self._close(1)  # a slow client gets its 408 briefly, then goes
        else:
            self.abort()

    def _close(self, linger: float) -> None:
        """Flush and close; abort if the client will not take the last bytes in time."""
        self.state = "closing"
        self.transport.pause_reading()
        self.transport.close()
        self._arm(linger, "send")

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _arm(self, seconds: float, reason: str) -> None:
        self._cancel_timer()
        self.timer = self.loop.call_later(seconds, self._expire, reason)

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
