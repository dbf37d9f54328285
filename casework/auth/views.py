"""Sign in (password, then second factor), sign out, and the first coordinator's setup link."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from casework.auth.attempts import FAILED, TOO_MANY, check_code, check_password
from casework.auth.blueprint import bp
from casework.auth.forms import CodeForm, SetupForm, SignInForm
from casework.rules import passwords
from casework.store import audit, invites, joining, signin_failures, users
from casework.web import context, keyslots
from casework.web.context import get_db
from casework.web.gate import roles
from casework.web.signed_out import PENDING_KEY, PENDING_SECONDS


def hash_params() -> passwords.HashParams:
    settings = current_app.config["CASEWORK"]
    return passwords.HashParams(
        time_cost=settings["passwords.time_cost"],
        memory_kib=settings["passwords.memory_kib"],
        parallelism=settings["passwords.parallelism"],
    )


def safe_next(target: str | None) -> str:
    """Stay on our own host after sign-in: only a local path is followed."""
    # A control character (a newline above all) cannot go into a Location header.
    if target and any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return url_for("home.index")
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


def start_session(user: users.User) -> None:
    """Sign in with a fresh session id (no fixation) and record the event."""
    session.clear()
    session.rotate()
    login_user(user)
    conn, now = get_db(), context.now()
    users.touch(conn, user.id, now)
    signin_failures.clear(conn, user.id)
    audit.record(conn, now, user.id, "signin.succeeded")


def after_signin(user: users.User, target: str | None):
    """Where a new session goes: enrolment first for a coordinator without a second factor."""
    if user.needs_enrolment:
        return redirect(url_for("auth.enrol"))
    return redirect(safe_next(target))


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        now = context.now()
        outcome = check_password(
            get_db(), form.handle.data.strip(), form.password.data, hash_params(), now
        )
        if outcome.throttled:
            flash(TOO_MANY, "error")
            return render_template("auth/signin.html", form=form), 429
        if outcome.user is None:
            flash(FAILED, "error")
            return render_template("auth/signin.html", form=form)
        keyslots.refresh(current_app, outcome.user, form.password.data)
        if outcome.user.totp_enrolled:
            # Not signed in yet: only the anonymous session knows the password passed.
            session[PENDING_KEY] = {
                "user": outcome.user.public_id,
                "at": now,
                "next": form.next.data,
            }
            return redirect(url_for("auth.signin_code"))
        start_session(outcome.user)
        return after_signin(outcome.user, form.next.data)
    return render_template("auth/signin.html", form=form)


def _pending_user() -> tuple[users.User | None, dict]:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or context.now() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    return users.get_active(get_db(), str(pending.get("user", ""))), pending


@bp.route("/signin/code", methods=["GET", "POST"])
def signin_code():
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("auth.signin"))
    form = CodeForm()
    if form.validate_on_submit():
        outcome = check_code(get_db(), user, form.code.data, context.now())
        if outcome.throttled:
            flash(TOO_MANY, "error")
            return render_template("auth/signin_code.html", form=form), 429
        if outcome.user is None:
            flash(FAILED, "error")
        else:
            start_session(outcome.user)
            return redirect(safe_next(pending.get("next")))
    return render_template("auth/signin_code.html", form=form)


@bp.route("/signout", methods=["POST"])
@roles("coordinator", "volunteer")
def signout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.signin"))


def link_unusable():
    return render_template("auth/link_unusable.html"), 404


def accept_link(conn, link, form: SetupForm, now: int, action: str):
    """Create the account a setup link or invite allows, and sign it in.

    Returns the response to send, or None when the form gets an error to show again.
    """
    password_hash = passwords.hash_password(form.password.data, hash_params())
    try:
        user = joining.accept(conn, link, form.handle.data, password_hash, now, action)
    except joining.LinkUsed:
        return link_unusable()
    except users.HandleTaken:
        form.handle.errors.append(_("This pseudonym is taken: choose another."))
        return None
    keyslots.refresh(current_app, user, form.password.data)
    start_session(user)
    flash(_("Your account is ready."), "info")
    return after_signin(user, None)


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    conn, now = get_db(), context.now()
    link = invites.find_usable(conn, token, "setup", now)
    if link is None:
        return link_unusable()
    form = SetupForm()
    if form.validate_on_submit():
        done = accept_link(conn, link, form, now, "setup.used")
        if done is not None:
            return done
    return render_template(
        "auth/accept.html", form=form, role=None, action=url_for("auth.setup", token=token)
    )
