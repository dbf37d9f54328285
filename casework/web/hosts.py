"""Which host names this server answers to, and the base of every link it gives out.

Links never come from an unchecked Host header: a request naming another host gets 400
before anything else runs, and links use ``public_url`` when it is set. The names accepted
are localhost, the loopback addresses, the address listened on (every local address when
it is 0.0.0.0, added by ``casework serve``), this machine's names, the ``public_url`` host
and ``allowed_hosts``.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

from flask import Flask, abort, current_app, request, url_for

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def normalise(host: str) -> str:
    """``Host`` header → the bare lower-case name or address (port and brackets dropped)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def accepted_hosts(settings: dict) -> set[str]:
    names = {*LOOPBACK, *settings["allowed_hosts"]}
    if settings["public_url"]:
        names.add(urllib.parse.urlsplit(settings["public_url"]).hostname or "localhost")
    try:
        if not ipaddress.ip_address(settings["host"]).is_unspecified:
            names.add(settings["host"])
    except ValueError:
        names.add(settings["host"])  # localhost
    return {normalise(n) for n in names}


def serve_on(app: Flask, hosts: list[str], served: dict | None) -> None:
    """Called by `casework serve`: accept the hosts it listens on; ``served`` (the URLs,
    the certificate's fingerprint and expiry) is shown on the connect-a-phone page."""
    app.config["CASEWORK_HOSTS"] |= {normalise(h) for h in hosts}
    app.config["CASEWORK_SERVED"] = served


def check_host() -> None:
    if normalise(request.host) not in current_app.config["CASEWORK_HOSTS"]:
        abort(400)


def base_url() -> str:
    """``public_url``, else the host this (checked) request was sent to."""
    public = current_app.config["CASEWORK"]["public_url"]
    return public or request.host_url.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute link to give someone, built on ``base_url()``."""
    return base_url() + url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    app.config["CASEWORK_HOSTS"] = accepted_hosts(app.config["CASEWORK"])
    app.config.setdefault("CASEWORK_SERVED", None)
    app.before_request(check_host)


def served() -> dict | None:
    """What `casework serve` said it serves (URLs, fingerprint, expiry), or None."""
    return current_app.config["CASEWORK_SERVED"]


def phone_url() -> str:
    """The address a phone on the local network should open: ``public_url``, else this
    request's host unless it is a loopback one (a phone cannot reach that), else the first
    address served."""
    public = current_app.config["CASEWORK"]["public_url"]
    if public:
        return public
    here = request.host_url.rstrip("/")
    urls = (served() or {}).get("urls") or []
    if normalise(request.host) in LOOPBACK and urls:
        return urls[0]
    return here


def fingerprint_groups(fingerprint: str) -> list[str]:
    """A colon fingerprint in groups of four characters, easier to compare aloud."""
    flat = fingerprint.replace(":", "")
    return [flat[i : i + 4] for i in range(0, len(flat), 4)]
