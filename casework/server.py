"""Production serving over TLS from the one process that holds the key: certificates here,
the asyncio front and its worker pool in ``casework.serving`` (see docs/serving.md)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import resource
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask

from casework.serving import Front, Limits
from casework.serving.front import tls_context

log = logging.getLogger("casework")

TLS_DIR = "tls"
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
CERT_DAYS = 825


def tls_paths(instance: Path) -> tuple[Path, Path]:
    return instance / TLS_DIR / CERT_FILE, instance / TLS_DIR / KEY_FILE


def machine_names() -> tuple[list[str], list[ipaddress._BaseAddress]]:
    """This machine's names and addresses, for the certificate (no network is used)."""
    names = {"localhost", socket.gethostname()}
    with_fqdn = socket.getfqdn()
    if with_fqdn:
        names.add(with_fqdn)
    addresses = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(ipaddress.ip_address(info[4][0].split("%")[0]))
    except (OSError, ValueError):
        pass
    return sorted(n for n in names if n), sorted(addresses, key=str)


def fingerprint(cert_path: Path) -> str:
    """SHA-256 fingerprint in the colon form browsers show, for volunteers to compare."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def make_certificate(instance: Path, extra_hosts: list[str] = ()) -> Path:
    """Create (or replace) the self-signed certificate for this machine's names."""
    cert_path, key_path = tls_paths(instance)
    cert_path.parent.mkdir(mode=0o700, exist_ok=True)
    names, addresses = machine_names()
    for host in extra_hosts:
        try:
            addresses.append(ipaddress.ip_address(host))
        except ValueError:
            names.append(host)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casework")])
    now = dt.datetime.now(dt.UTC)
    alt = [x509.DNSName(n) for n in dict.fromkeys(names)] + [
        x509.IPAddress(a) for a in dict.fromkeys(addresses) if not a.is_unspecified
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp_key = key_path.with_suffix(".tmp")
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    os.replace(tmp_key, key_path)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


def build_server(app: Flask, host: str, port: int, threads: int, tls: bool) -> Front:
    """Bind the server (raises OSError when the port is taken) without serving yet.

    ``threads`` workers run the app; connections, handshakes and slow clients are the
    event loop's, bounded by the ``serving.*`` settings (docs/serving.md).
    """
    context = None
    if tls:
        cert_path, key_path = tls_paths(Path(app.instance_path))
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
