"""The certificate phones are shown: the self-signed one follows their rules, the group's
own is checked before serving, and the fingerprint shown is the one served."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from helpers.instance import PASSPHRASE
from helpers.served import Served

from casework import addresses, certificates

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def check_phone_rules(cert: x509.Certificate, hosts: list[str]) -> None:
    """Apple HT210176 and the CA/Browser Forum baseline, as phones enforce them."""
    ext = cert.extensions
    assert (
        ExtendedKeyUsageOID.SERVER_AUTH in ext.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is False
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    assert end - start <= dt.timedelta(days=397)
    assert dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10) <= start <= dt.datetime.now(dt.UTC)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    for host in ["localhost", "127.0.0.1", *hosts]:
        assert certificates.covers(cert, host), host


def test_the_self_signed_certificate_follows_phone_rules(tmp_path):
    certificates.make_self_signed(tmp_path, ["casework.example.org"])
    cert = certificates.load(tmp_path / "tls" / "cert.pem")
    mine = [str(a) for a in addresses.interface_addresses() if not a.is_unspecified]
    check_phone_rules(cert, ["casework.example.org", *mine])
    assert (tmp_path / "tls" / "key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.slow
def test_the_certificate_serve_makes_is_the_one_served_and_follows_phone_rules(instance, store_key):
    served = Served(instance, "--passphrase-stdin", stdin_text=PASSPHRASE + "\n")
    try:
        pem = ssl.get_server_certificate(("127.0.0.1", served.port))
        output = served.output
    finally:
        served.stop()
    cert = x509.load_pem_x509_certificate(pem.encode())
    check_phone_rules(cert, ["127.0.0.1"])
    assert certificates.fingerprint(cert) in output
    assert cert == certificates.load(instance / "tls" / "cert.pem")


def make_cert(folder, names=("casework.example.org",), start=NOW - DAY, end=NOW + 90 * DAY):
    """A certificate of the group's own (here self-issued), with its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alt = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "own.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "own.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "own.pem", folder / "own.key"


def use_own(instance, cert, key, public_url="https://casework.example.org") -> None:
    config = instance / "config.toml"
    top = f'public_url = "{public_url}"\n'  # top-level keys come before the tables
    tls = f'[tls]\ncertificate = "{cert}"\nprivate_key = "{key}"\n'
    config.write_text(top + config.read_text() + tls)
    config.chmod(0o600)


def mismatched(folder):
    cert, _ = make_cert(folder / "a")
    _, other_key = make_cert(folder / "b")
    return cert, other_key


def as_folder(folder):
    _cert, key = make_cert(folder)
    (folder / "a-folder").mkdir()
    return folder / "a-folder", key


CASES = {
    "expired": (lambda f: make_cert(f, end=NOW - DAY, start=NOW - 90 * DAY), "expired on"),
    "not yet valid": (lambda f: make_cert(f, start=NOW + 10 * DAY), "not valid before"),
    "key not matching": (mismatched, "does not match"),
    "missing": (lambda f: (f / "gone.pem", f / "gone.key"), "cannot be read"),
    "a folder": (as_folder, "is a folder"),
    "another name": (lambda f: make_cert(f, names=("elsewhere.example.net",)), "does not name"),
    "not a certificate": (lambda f: (make_cert(f)[1], make_cert(f)[1]), "not a PEM certificate"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_certificate_that_cannot_be_served_is_refused_at_start(
    run, instance, store_key, case, tmp_path
):
    build, message = CASES[case]
    cert, key = build(tmp_path / "own")
    use_own(instance, cert, key)
    result = run("serve", "--host", "127.0.0.1", "--port", "1", "--passphrase-stdin", stdin="x\n")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.output.strip().count("\n") == 0, result.output


def test_tls_shows_the_own_certificate_and_will_not_renew_it(run, instance, tmp_path):
    cert, key = make_cert(tmp_path / "own")
    use_own(instance, cert, key)
    shown = run("tls")
    assert shown.exit_code == 0, shown.output
    assert certificates.fingerprint(certificates.load(cert)) in shown.output
    expires = certificates.load(cert).not_valid_after_utc
    assert f"Valid until {expires:%B} {expires.day}, {expires.year}" in shown.output
    assert "expires in" not in shown.output
    assert run("tls", "--renew").exit_code == 2


def test_tls_says_when_it_expires_in_short_groups_and_draws_a_qr_code(run, instance):
    assert run("tls", "--renew").exit_code == 0
    result = run("tls", "--qr")
    assert result.exit_code == 0, result.output
    assert re.search(r"Valid until \w+ \d+, \d{4} \((39[67]) days", result.output)
    assert re.search(r"In short groups: ([0-9A-F]{4} ){15}[0-9A-F]{4}", result.output)
    assert "█" in result.output or "▀" in result.output
    assert "Scan to open https://" in result.output


def test_an_own_certificate_near_its_end_is_warned_about(run, instance, tmp_path):
    cert, key = make_cert(tmp_path / "own", end=NOW + 10 * DAY)
    use_own(instance, cert, key)
    assert "expires in 9 days" in run("tls").output or "expires in 10 days" in run("tls").output


@pytest.mark.slow
def test_the_own_certificate_is_the_one_served(instance, store_key, tmp_path):
    cert, key = make_cert(tmp_path / "own", names=("casework.example.org", "127.0.0.1"))
    use_own(instance, cert, key, public_url="https://127.0.0.1")
    served = Served(instance, "--passphrase-stdin", stdin_text=PASSPHRASE + "\n")
    try:
        pem = ssl.get_server_certificate(("127.0.0.1", served.port))
    finally:
        output = served.stop()
    fingerprint = certificates.fingerprint(x509.load_pem_x509_certificate(pem.encode()))
    assert fingerprint == certificates.fingerprint(certificates.load(cert))
    assert fingerprint in output
    assert not (instance / "tls").exists()
