"""Settings: documented defaults, validated overrides, one-line errors naming the key."""

from __future__ import annotations

import pytest

from casework import config


def test_defaults_match_the_documented_retention():
    settings = config.load(__import__("pathlib").Path("/nonexistent-instance"))
    assert settings["retention.closed_case_days"] == 30
    assert settings["retention.debrief_days"] == 14
    assert settings["retention.dormant_close_days"] == 90
    assert settings["sessions.idle_minutes"] == 30
    assert settings["sessions.signed_out_per_address"] == 50
    assert settings["timezone"] == "America/Montreal"
    assert settings["kdf.memory_kib"] == 65536 and settings["kdf.time_cost"] == 3


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("port = 70000", "port"),
        ("port = 'eighty'", "port"),
        ("host = 'example.org'", "host"),
        ("timezone = 'Mars/Olympus'", "timezone"),
        ("default_language = 'de'", "default_language"),
        ("[retention]\nclosed_case_days = 400", "retention.closed_case_days"),
        ("[retention]\nclosed_case_days = -1", "retention.closed_case_days"),
        ("[retention]\naudit_days = true", "retention.audit_days"),
        ("[retention]\npurge_time = '25:00'", "retention.purge_time"),
        ("[sessions]\nidle_minutes = 0", "sessions.idle_minutes"),
        ("[sessions]\nsigned_out_per_address = 2", "sessions.signed_out_per_address"),
        ("[kdf]\nmemory_kib = 1", "kdf.memory_kib"),
        ("[serving]\nheader_seconds = 0", "serving.header_seconds"),
        ("[serving]\nhandshake_seconds = 1.5", "serving.handshake_seconds"),
        ("[serving]\nmax_header_kib = 1024", "serving.max_header_kib"),
        ("[serving]\nmax_connections = 4", "serving.max_connections"),
        (
            "[serving]\nmax_connections = 100\nmax_connections_per_address = 200",
            "serving.max_connections_per_address",
        ),
        ("public_url = 'http://casework.example.org'", "public_url"),
        ("public_url = 'casework.example.org'", "public_url"),
        ("public_url = 'https://'", "public_url"),
        ("public_url = 'https://casework.example.org/path'", "public_url"),
        ("public_url = 'https://casework.example.org:99999'", "public_url"),
        ("public_url = 'https://a b.org'", "public_url"),
        ("public_url = 42", "public_url"),
        ("allowed_hosts = ['Bad Host!']", "allowed_hosts"),
        ("[tls]\ncertificate = 'c.pem'", "tls.private_key"),
        ("colour = 'blue'", "colour"),
        ("[retention]\ndormant_flag_days = 90\ndormant_close_days = 60", "dormant_close_days"),
    ],
)
def test_invalid_values_name_their_key(tmp_path, toml, key):
    (tmp_path / "config.toml").write_text(toml + "\n")
    with pytest.raises(config.ConfigError) as caught:
        config.load(tmp_path)
    message = str(caught.value)
    assert key in message
    assert "\n" not in message


def test_broken_toml_is_a_clear_error(tmp_path):
    (tmp_path / "config.toml").write_text("port = = 3\n")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(tmp_path)


def test_valid_overrides_are_kept(tmp_path):
    (tmp_path / "config.toml").write_text(
        "port = 9443\ndefault_language = 'es'\n[retention]\nclosed_case_days = 7\n"
    )
    settings = config.load(tmp_path)
    assert settings["port"] == 9443
    assert settings["default_language"] == "es"
    assert settings["retention.closed_case_days"] == 7


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://casework.example.org", "https://casework.example.org"),
        ("https://casework.example.org/", "https://casework.example.org"),
        ("https://192.0.2.9:8443", "https://192.0.2.9:8443"),
        ("", ""),
    ],
)
def test_public_url_is_kept_without_a_trailing_slash(tmp_path, given, kept):
    (tmp_path / "config.toml").write_text(f"public_url = '{given}'\n")
    assert config.load(tmp_path)["public_url"] == kept
