"""Deny by default, CSRF, sign-in plumbing and the headers every response carries."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadData, URLSafeTimedSerializer

from casework.store import users
from casework.vault.store import Sealed
from casework.web.context import get_db, get_store
from casework.web.errors import sealed_page

# The short explicit list of endpoints reachable without signing in.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "home.health",
        "auth.signin",
        "auth.signin_code",
        "auth.setup",
        "links.join",
        "links.follow",
        "links.finish",
        "seal.unlock",
        "seal.unlock_coordinator",
    }
)
# All a coordinator without a second factor may reach: they enrol before seeing any data.
ENROLMENT_ENDPOINTS = frozenset({"auth.enrol", "auth.signout"})
# Reachable while the store is sealed (no key in memory).
SEALED_ENDPOINTS = frozenset({"static", "home.health", "seal.unlock", "seal.unlock_coordinator"})
ROLES = ("coordinator", "volunteer")

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

View = TypeVar("View", bound=Callable)
# Sessions whose CSRF token is kept signed: more than live at once in any group.
SIGNED_TOKENS_KEPT = 4096
# A session's CSRF token -> (the secret that signed it, its signature); see sign_once.
_SIGNED: dict[str, tuple[bytes, str]] = {}
csrf = CSRFProtect()
login_manager = LoginManager()


def roles(*allowed: str) -> Callable[[View], View]:
    """Declare which roles may reach a view; the gate refuses everything undeclared."""
    unknown = set(allowed) - set(ROLES)
    if unknown or not allowed:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def mark(view: View) -> View:
        view.casework_roles = frozenset(allowed)
        return view

    return mark


def allowed_roles(endpoint: str | None) -> frozenset[str] | None:
    """The roles declared on an endpoint's view, or None when it declares none."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "casework_roles", None)


def gate() -> Response | None:
    """Run before every request: public list, sealed store, signed in, role."""
    endpoint = request.endpoint
    if request.method == "POST" and request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(400)  # browsers say when a form was posted from another site
    if endpoint is None:  # no route matched: let routing answer 404/405
        return None
    if get_store().sealed and endpoint not in SEALED_ENDPOINTS:
        return sealed_page()
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    user = current_user._get_current_object()  # once, not through the proxy each time
    if not user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
        abort(403)
    permitted = allowed_roles(endpoint)
    # Fail closed: an endpoint with no declared roles is unreachable, and so is any
    # object or page outside the caller's role (404, not 403: nothing is confirmed).
    if permitted is None or user.role not in permitted:
        abort(404)
    if user.needs_enrolment and endpoint not in ENROLMENT_ENDPOINTS:
        if request.method == "GET":
            return redirect(url_for("auth.enrol"))
        abort(404)
    return None


def set_headers(response: Response) -> Response:
    """Security headers on every response, errors included."""
    headers = response.headers
    wanted = list(_SECURITY_HEADERS)
    if request.endpoint != "static":
        wanted += _NO_STORE
    if current_app.config["CASEWORK_TLS"]:
        wanted += _HSTS
    names = {name.lower() for name, _ in wanted}
    if any(name in names for name in headers.keys(lower=True)):
        for name, value in wanted:  # one of them was set already: replaced, not repeated
            headers[name] = value
    else:
        headers.extend(wanted)  # the usual case: added at once, not searched for one by one
    return response


_SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
# Shared and lost phones: nothing behind these pages may stay in a cache.
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
_HSTS = (("Strict-Transport-Security", "max-age=31536000"),)


@login_manager.user_loader
def load_user(public_id: str) -> users.User | None:
    try:
        return users.get_active(get_db(), public_id)
    except Sealed:
        return None


def sign_once() -> None:
    """Give the request its session's CSRF token as signed before, if it was.

    Flask-WTF's generate_csrf (templates and forms alike) signs the session's token on
    every page unless the request already has it in ``g``: signing was a tenth of a
    page's rendering. With WTF_CSRF_TIME_LIMIT None (app.py) a signature never expires,
    so the first one a session got stays as good as a new one."""
    raw = session.get("csrf_token")
    if isinstance(raw, str):
        kept = _SIGNED.get(raw)
        if kept is not None and kept[0] == current_app.secret_key:
            g.csrf_token = kept[1]


def keep_signed(response: Response) -> Response:
    """Keep the token this request signed for the next pages of its session, once it is
    checked to be the signature of the session's token as it stands now (a sign-in or
    sign-out may have replaced the token after it was signed)."""
    signed = g.get("csrf_token")
    raw = session.get("csrf_token") if signed is not None else None
    if isinstance(raw, str) and raw not in _SIGNED:
        serializer = URLSafeTimedSerializer(current_app.secret_key, salt="wtf-csrf-token")
        with contextlib.suppress(BadData):
            if serializer.loads(signed) == raw:
                if len(_SIGNED) >= SIGNED_TOKENS_KEPT:
                    _SIGNED.clear()  # a flood of new sessions: they are signed again
                _SIGNED[raw] = (current_app.secret_key, signed)
    return response


def forget_signed_tokens() -> None:
    """The store locked: every session ended, and their tokens leave memory with them."""
    _SIGNED.clear()


def init_app(app: Flask) -> None:
    # A fresh secret per start: it only signs CSRF tokens of sessions that a restart ends.
    app.secret_key = secrets.token_bytes(32)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are rotated and ended server-side
    login_manager.login_view = "auth.signin"
    app.before_request(gate)
    app.before_request(sign_once)
    app.after_request(keep_signed)
    app.after_request(set_headers)
