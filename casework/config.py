"""Instance settings: documented defaults, overridden by ``instance/config.toml``.

Every value is checked at start; a bad one is a one-line error that names the key.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
import urllib.parse
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casework.rules.languages import SPOKEN
from casework.rules.wording import N_, Explained

CONFIG_FILE = "config.toml"
LANGUAGES = ("fr", "en", "es")
RETENTION_CEILING_DAYS = 365
HOST_NAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


class ConfigError(Explained):
    """An invalid setting; the message names the key and is safe to print."""


@dataclass(frozen=True)
class Setting:
    default: Any
    check: Callable[[Any], bool]
    expected: str


def _int_range(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _days(default: int) -> Setting:
    return Setting(
        default,
        _int_range(1, RETENTION_CEILING_DAYS),
        f"a whole number of days from 1 to {RETENTION_CEILING_DAYS}",
    )


def _is_host(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return value == "localhost"
    return True


def _is_public_url(value: Any) -> bool:
    """Empty (links use the address served), or an https URL with a host and no path."""
    if value == "":
        return True
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not (parts.query or parts.fragment or parts.username or parts.password)
    )


def _is_host_name(value: Any) -> bool:
    return isinstance(value, str) and bool(HOST_NAME.fullmatch(value))


def _is_zone(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_daily_time(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hours, minutes = value[:2], value[3:]
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


def _keys(pattern: str) -> Callable[[Any], bool]:
    shape = re.compile(pattern)

    def check(value: Any) -> bool:
        if (
            not isinstance(value, list | tuple)
            or not 1 <= len(value) <= 64
            or len(set(value)) != len(value)
        ):
            return False
        return all(isinstance(item, str) and shape.fullmatch(item) for item in value)

    return check


# Keys are stored; the interface translates the labels of the known ones.
TASK_KINDS = (
    "hearing",
    "border_agency",
    "detention_visit",
    "medical",
    "school",
    "legal_aid",
    "social_services",
    "other",
)
# One list for what people speak (profile) and what tasks need: casework/languages.py.
SPOKEN_LANGUAGES = tuple(SPOKEN)

SETTINGS: dict[str, Setting] = {
    "host": Setting("0.0.0.0", _is_host, "an IP address or localhost"),  # noqa: S104
    "port": Setting(8443, _int_range(1, 65535), "a port number from 1 to 65535"),
    # Workers running the app (each with its store connection), however many clients:
    # one process (one GIL), so more threads add contention and a page cache each, not
    # speed. The front reads and writes for them, so two keep both cores busy.
    "threads": Setting(2, _int_range(2, 64), "a number of threads from 2 to 64"),
    "timezone": Setting("America/Montreal", _is_zone, "a time zone name like America/Montreal"),
    "default_language": Setting("fr", lambda v: v in LANGUAGES, "one of fr, en, es"),
    "max_request_kib": Setting(128, _int_range(16, 4096), "a size in KiB from 16 to 4096"),
    # Serving on a hostile network (docs/serving.md): deadlines in seconds, then caps.
    "serving.handshake_seconds": Setting(10, _int_range(1, 120), "seconds from 1 to 120"),
    "serving.idle_seconds": Setting(30, _int_range(1, 600), "seconds from 1 to 600"),
    "serving.header_seconds": Setting(10, _int_range(1, 120), "seconds from 1 to 120"),
    "serving.body_seconds": Setting(30, _int_range(1, 600), "seconds from 1 to 600"),
    "serving.send_seconds": Setting(30, _int_range(1, 600), "seconds from 1 to 600"),
    "serving.max_header_kib": Setting(16, _int_range(1, 256), "a size in KiB from 1 to 256"),
    "serving.max_headers": Setting(64, _int_range(8, 512), "a number of headers from 8 to 512"),
    "serving.max_connections": Setting(
        512, _int_range(8, 16384), "a number of connections from 8 to 16384"
    ),
    "serving.max_connections_per_address": Setting(
        64, _int_range(1, 16384), "a number of connections from 1 to 16384"
    ),
    "sessions.idle_minutes": Setting(30, _int_range(1, 720), "minutes from 1 to 720"),
    "sessions.absolute_hours": Setting(12, _int_range(1, 72), "hours from 1 to 72"),
    # Signed-out sessions one client address may hold at once; its oldest go first.
    "sessions.signed_out_per_address": Setting(
        50, _int_range(4, 10000), "a number of sessions from 4 to 10000"
    ),
    "invites.valid_hours": Setting(72, _int_range(1, 720), "hours from 1 to 720"),
    "invites.reset_hours": Setting(24, _int_range(1, 168), "hours from 1 to 168"),
    "lock.idle_hours": Setting(8, _int_range(0, 720), "hours from 0 (never) to 720"),
    "retention.closed_case_days": _days(30),
    "retention.debrief_days": _days(14),
    "retention.past_task_days": _days(30),
    "retention.dormant_flag_days": _days(60),
    "retention.dormant_close_days": _days(90),
    "retention.audit_days": _days(90),
    "retention.purge_report_days": _days(365),
    "retention.failed_login_days": _days(1),
    "retention.deactivated_account_days": _days(30),
    "retention.inactive_volunteer_days": _days(180),
    "retention.purge_time": Setting("03:30", _is_daily_time, "a local time like 03:30"),
    # Lower costs exist for tests and tiny machines; production keeps the defaults.
    "kdf.time_cost": Setting(3, _int_range(1, 64), "passes from 1 to 64"),
    "kdf.memory_kib": Setting(65536, _int_range(8, 4194304), "KiB from 8 to 4194304"),
    "kdf.parallelism": Setting(4, _int_range(1, 64), "lanes from 1 to 64"),
    "passwords.time_cost": Setting(3, _int_range(1, 64), "passes from 1 to 64"),
    "passwords.memory_kib": Setting(65536, _int_range(8, 4194304), "KiB from 8 to 4194304"),
    "passwords.parallelism": Setting(4, _int_range(1, 64), "lanes from 1 to 64"),
    "tasks.kinds": Setting(
        TASK_KINDS, _keys(r"[a-z][a-z_]{0,31}"), "a list of keys like hearing, medical"
    ),
    "languages.spoken": Setting(
        SPOKEN_LANGUAGES, _keys(r"[a-z]{2,3}"), "a list of language codes like fr, en, es"
    ),
    "key_file": Setting("", lambda v: isinstance(v, str), "a path to a 32-byte key file"),
    # Links, QR codes and the accepted Host header; "" means the address actually served.
    "public_url": Setting("", _is_public_url, "an https URL like https://casework.example.org"),
    "allowed_hosts": Setting(
        (),
        lambda v: isinstance(v, list | tuple) and all(map(_is_host_name, v)),
        "a list of lower-case host names or addresses",
    ),
    # A certificate of the group's own (a real domain name); "" = the self-signed one.
    "tls.certificate": Setting("", lambda v: isinstance(v, str), "a path to a PEM certificate"),
    "tls.private_key": Setting("", lambda v: isinstance(v, str), "a path to a PEM private key"),
}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Merge ``values`` (dotted names) over the defaults, refusing unknown or bad ones."""
    settings = {name: spec.default for name, spec in SETTINGS.items()}
    for name, value in values.items():
        spec = SETTINGS.get(name)
        if spec is None:
            raise ConfigError(N_("config.toml: unknown setting {name!r}"), name=name)
        if not spec.check(value):
            raise ConfigError(
                N_("config.toml: {name} must be {expected} (got {value!r})"),
                name=name,
                expected=spec.expected,
                value=value,
            )
        settings[name] = value
    if settings["retention.dormant_close_days"] <= settings["retention.dormant_flag_days"]:
        raise ConfigError(
            N_(
                "config.toml: retention.dormant_close_days must be greater than"
                " retention.dormant_flag_days"
            ),
        )
    if settings["serving.max_connections_per_address"] > settings["serving.max_connections"]:
        raise ConfigError(
            N_(
                "config.toml: serving.max_connections_per_address must not exceed"
                " serving.max_connections"
            ),
        )
    if bool(settings["tls.certificate"]) != bool(settings["tls.private_key"]):
        raise ConfigError(
            N_("config.toml: tls.certificate and tls.private_key go together: set both or none"),
        )
    settings["public_url"] = settings["public_url"].rstrip("/")
    return settings


def load(instance: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read ``instance/config.toml`` (optional) and return validated settings."""
    path = instance / CONFIG_FILE
    values: dict[str, Any] = {}
    try:
        with open(path, "rb") as handle:
            values = _flatten(tomllib.load(handle))
    except (FileNotFoundError, NotADirectoryError):
        pass  # no config file: the defaults apply
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(N_("config.toml: not valid TOML ({exc})"), exc=exc) from exc
    except OSError as exc:
        raise ConfigError(
            N_("config.toml: cannot be read ({strerror})"),
            strerror=exc.strerror,
        ) from exc
    values.update(overrides or {})
    return validate(values)
