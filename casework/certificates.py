"""The certificate served over TLS: the self-signed one made here, or the group's own
(``[tls] certificate`` and ``private_key`` in config.toml), checked before serving.

The self-signed certificate follows what phones enforce (Apple HT210176, the CA/Browser
Forum baseline): ``serverAuth`` in Extended Key Usage, a key usage, every name and address
served as a subject alternative name, at most 397 days, valid from a few minutes ago only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from casework import addresses
from casework.rules.wording import N_, Explained
from casework.vault import health

TLS_DIR = "tls"
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
VALID_DAYS = 397
# A phone whose clock is a little behind must not see a certificate "not yet valid".
CLOCK_SKEW = dt.timedelta(minutes=5)
# Coordinators are warned this long before the certificate expires.
WARN_DAYS = health.CERTIFICATE_WARN_DAYS


class CertificateProblem(Explained):
    """The configured certificate cannot be served; the message is one line, safe to print."""


@dataclass(frozen=True)
class Served:
    """What people check: the fingerprint of the certificate served, and its expiry."""

    fingerprint: str
    expires: int  # Unix time
    own: bool  # the group's own certificate, not the self-signed one


def paths(instance: Path, settings: dict[str, Any]) -> tuple[Path, Path, bool]:
    """(certificate, private key, whether it is the group's own) for this instance."""
    if settings["tls.certificate"]:
        cert = instance / Path(settings["tls.certificate"]).expanduser()
        key = instance / Path(settings["tls.private_key"]).expanduser()
        return cert, key, True
    return instance / TLS_DIR / CERT_FILE, instance / TLS_DIR / KEY_FILE, False


def load(cert_path: Path) -> x509.Certificate:
    """The first certificate of a PEM file (the server's own; a chain may follow)."""
    return x509.load_pem_x509_certificate(_read(cert_path, "certificate"))


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint in the colon form browsers show."""
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def served(cert_path: Path, own: bool) -> Served:
    cert = load(cert_path)
    return Served(fingerprint(cert), int(cert.not_valid_after_utc.timestamp()), own)


def covers(cert: x509.Certificate, host: str) -> bool:
    """Whether ``host`` (a name or an address) is one of the certificate's names."""
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        return ipaddress.ip_address(host) in alt.get_values_for_type(x509.IPAddress)
    except ValueError:
        pass
    host = host.lower().rstrip(".")
    for name in alt.get_values_for_type(x509.DNSName):
        name = name.lower()
        if name == host or (
            name.startswith("*.") and host.count(".") >= 2 and host.split(".", 1)[1] == name[2:]
        ):
            return True
    return False


def make_self_signed(instance: Path, hosts: list[str]) -> Path:
    """Create (or replace) the self-signed certificate for this machine and ``hosts``."""
    cert_path, key_path = instance / TLS_DIR / CERT_FILE, instance / TLS_DIR / KEY_FILE
    cert_path.parent.mkdir(mode=0o700, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casework")])
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - CLOCK_SKEW
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_SIGNING_ONLY, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(key_path, key_bytes)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


# ECDSA signs the handshake; it neither encrypts keys nor signs certificates.
_SIGNING_ONLY = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


def _alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names = addresses.machine_names()
    found = set(addresses.interface_addresses())
    found |= {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    for host in hosts:
        try:
            found.add(ipaddress.ip_address(host))
        except ValueError:
            names.append(host)
    ips = sorted((a for a in found if not a.is_unspecified), key=lambda a: (a.version, a))
    return [x509.DNSName(n) for n in dict.fromkeys(names)] + [x509.IPAddress(a) for a in ips]


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, whole or not at all."""
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def check_own(cert_path: Path, key_path: Path, hosts: list[str], now: dt.datetime) -> None:
    """Refuse the group's own certificate unless it can be served to ``hosts`` now."""
    cert = _parse(cert_path)
    try:
        key = serialization.load_pem_private_key(_read(key_path, "private key"), None)
    except (ValueError, TypeError) as exc:
        raise CertificateProblem(
            N_("the private key {key_path} is not a PEM private key"), key_path=key_path
        ) from exc
    if _public(key.public_key()) != _public(cert.public_key()):
        raise CertificateProblem(
            N_("the private key {key_path} does not match {cert_path}"),
            key_path=key_path,
            cert_path=cert_path,
        )
    if cert.not_valid_after_utc <= now:
        raise CertificateProblem(
            N_("the certificate {cert_path} expired on {day}"), cert_path=cert_path, day=_day(cert)
        )
    if cert.not_valid_before_utc > now:
        start = cert.not_valid_before_utc.date().isoformat()
        raise CertificateProblem(
            N_("the certificate {cert_path} is not valid before {start}"),
            cert_path=cert_path,
            start=start,
        )
    wanted = [h for h in hosts if h]
    if wanted and not any(covers(cert, h) for h in wanted):
        raise CertificateProblem(
            N_("the certificate {cert_path} does not name {wanted}"),
            cert_path=cert_path,
            wanted=wanted[0],
        )


def _parse(cert_path: Path) -> x509.Certificate:
    try:
        return load(cert_path)
    except ValueError as exc:
        raise CertificateProblem(
            N_("the certificate {cert_path} is not a PEM certificate"), cert_path=cert_path
        ) from exc


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise CertificateProblem(
            N_("the {what} {path} is a folder, not a file"), what=what, path=path
        ) from exc
    except OSError as exc:
        reason = exc.strerror or "cannot be read"
        raise CertificateProblem(
            N_("the {what} {path} cannot be read ({reason})"), what=what, path=path, reason=reason
        ) from exc


def _public(key) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _day(cert: x509.Certificate) -> str:
    return cert.not_valid_after_utc.date().isoformat()
