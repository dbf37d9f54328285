"""Production serving over TLS from the one process that holds the key: the asyncio front
and its worker pool are in ``casework.serving`` (see docs/serving.md), the certificate in
``casework.certificates``."""

from __future__ import annotations

import logging
import resource
from pathlib import Path

from flask import Flask

from casework import certificates
from casework.serving import Front, Limits
from casework.serving.front import tls_context

log = logging.getLogger("casework")


def tls_paths(instance: Path) -> tuple[Path, Path]:
    """The self-signed certificate's files (see ``casework.certificates`` for one's own)."""
    cert, key, _own = certificates.paths(instance, {"tls.certificate": ""})
    return cert, key


def make_certificate(instance: Path, extra_hosts: list[str] = ()) -> Path:
    """Create (or replace) the self-signed certificate for this machine's names."""
    return certificates.make_self_signed(instance, list(extra_hosts))


def build_server(
    app: Flask, host: str, port: int, threads: int, tls: bool, cert: tuple[Path, Path] | None = None
) -> Front:
    """Bind the server (raises OSError when the port is taken) without serving yet; ``cert``
    is (certificate, private key), the self-signed one's by default.

    ``threads`` workers run the app; connections, handshakes and slow clients are the
    event loop's, bounded by the ``serving.*`` settings (docs/serving.md).
    """
    context = None
    if tls:
        cert_path, key_path = cert or tls_paths(Path(app.instance_path))
        context = tls_context(str(cert_path), str(key_path))
    limits = Limits.from_settings(app.config["CASEWORK"])
    _allow_open_files(limits.max_connections)
    return Front(app, host, port, threads, limits, context)


def _allow_open_files(connections: int) -> None:
    # Each connection is a descriptor; the store, logs and the pool need some more.
    wanted = connections + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def run(server: Front, on_stop) -> None:
    """Serve until SIGINT or SIGTERM, then close the store (connections and key)."""
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        on_stop()
        log.info("stopped")
