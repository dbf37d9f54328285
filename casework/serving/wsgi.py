"""One whole request through the WSGI app, in a worker thread, into whole response bytes.

The worker never touches a socket: it gets the complete request and returns the complete
response, so a slow or vanished client can never hold it.
"""

from __future__ import annotations

import io
import logging
import sys
from urllib.parse import unquote_to_bytes

from casework.serving.http import Request, plain_response, response_head

log = logging.getLogger("casework.serving")
NO_BODY = ("204", "304")


def environ_for(request: Request, server: tuple[str, int], peer: str, scheme: str) -> dict:
    """The PEP 3333 environ: what cheroot gave the app, minus the client's port."""
    path, _, query = request.target.partition("?")
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": request.version,
        "REMOTE_ADDR": peer,  # the app's per-address throttle needs it; it is never logged
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers:
        if "_" in name:
            continue  # X_Y would pass for X-Y in the environ: drop it, as nginx does
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
            continue
        key = f"HTTP_{key}"
        if key in environ:
            joiner = "; " if key == "HTTP_COOKIE" else ", "
            environ[key] = f"{environ[key]}{joiner}{value}"
        else:
            environ[key] = value
    return environ


def call_app(app, environ: dict, keep_alive: bool) -> tuple[bytes, bool]:
    """Run the app; return the response bytes and whether the connection may stay open."""
    started: list = []
    chunks: list[bytes] = []

    def start_response(status, headers, exc_info=None):
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return chunks.append

    try:
        result = app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception as exc:  # Flask answers its own errors; this is a bug in the stack
        log.error("serving: the application failed (%s)", type(exc).__name__)
        return plain_response(500), False
    status, headers = started
    body = b"".join(chunks)
    if environ["REQUEST_METHOD"] == "HEAD":
        declared = next((v for k, v in headers if k.lower() == "content-length"), None)
        length = int(declared) if declared and declared.isdigit() else None
        return response_head(status, headers, length, keep_alive), keep_alive
    if status[:3] in NO_BODY:
        return response_head(status, headers, None, keep_alive), keep_alive
    return response_head(status, headers, len(body), keep_alive) + body, keep_alive
