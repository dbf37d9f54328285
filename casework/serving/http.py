"""HTTP/1.1 request heads, parsed strictly, and responses serialized; no I/O here.

Only what browsers send is accepted: origin-form targets, Content-Length bodies (no
chunked uploads), no folded header lines. Anything else is an error status, never a guess.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass, field

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
TARGET = re.compile(rb"/[\x21-\x7e]*|\*")
REASONS = {
    100: "Continue",
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


class BadRequest(Exception):
    """A head we refuse; ``status`` is the answer to send before closing."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    length: int = 0
    keep_alive: bool = True
    expect_continue: bool = False
    body: bytes = b""


def parse_head(head: bytes, max_headers: int) -> Request:
    """Parse a request head (without the blank line that ends it) or raise BadRequest."""
    lines = head.split(b"\r\n")
    if len(lines) - 1 > max_headers:
        raise BadRequest(431)
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not TOKEN.fullmatch(parts[0]) or not TARGET.fullmatch(parts[1]):
        raise BadRequest(400)
    if parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise BadRequest(505 if parts[2].startswith(b"HTTP/") else 400)
    request = Request(parts[0].decode("ascii"), parts[1].decode("ascii"), parts[2].decode())
    lengths: set[bytes] = set()
    connection = b""
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not TOKEN.fullmatch(name) or b"\n" in value or b"\r" in value:
            raise BadRequest(400)  # also folded lines: they start with whitespace
        value = value.strip(b" \t")
        lower = name.lower()
        if lower == b"content-length":
            lengths.add(value)
        elif lower == b"transfer-encoding":
            raise BadRequest(501)  # no chunked uploads: browsers send a length
        elif lower == b"connection":
            connection += b"," + value.lower()
        elif lower == b"expect":
            request.expect_continue = value.lower() == b"100-continue"
        request.headers.append((name.decode("latin-1"), value.decode("latin-1")))
    if len(lengths) > 1 or any(not (v.isdigit() and len(v) < 19) for v in lengths):
        raise BadRequest(400)
    request.length = int(lengths.pop()) if lengths else 0
    options = {option.strip() for option in connection.split(b",")}
    if request.version == "HTTP/1.1":
        request.keep_alive = b"close" not in options
    else:
        request.keep_alive = b"keep-alive" in options
    return request


_date_cache: list = [0, ""]


def http_date() -> str:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, email.utils.formatdate(now, usegmt=True)]
    return _date_cache[1]


def response_head(status: str, headers: list[tuple[str, str]], length: int | None, keep: bool):
    """The status line and headers; Content-Length is ours (the body is whole)."""
    out = [f"HTTP/1.1 {status}\r\n"]
    for name, value in headers:
        lower = name.lower()
        if lower in ("content-length", "connection", "transfer-encoding", "date"):
            continue
        out.append(f"{name}: {value}\r\n")
    if length is not None:
        out.append(f"Content-Length: {length}\r\n")
    out.append(f"Date: {http_date()}\r\n")
    if not keep:
        out.append("Connection: close\r\n")
    out.append("\r\n")
    return "".join(out).encode("latin-1")


def plain_response(code: int, keep: bool = False) -> bytes:
    """A bare answer from the server itself (limits, deadlines): no content, no page."""
    if code == 100:
        return b"HTTP/1.1 100 Continue\r\n\r\n"
    reason = REASONS.get(code, "Error")
    body = f"{code} {reason}\n".encode()
    head = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Cache-Control", "no-store"),
        # The app sets these on its own pages; the server's few bare answers carry them too.
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]
    return response_head(f"{code} {reason}", head, len(body), keep) + body
