"""Sign in, sign out, and the one-time setup link for the first coordinator."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
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

from casework import clock, passwords
from casework.auth.forms import SetupForm, SignInForm
from casework.security import roles
from casework.store import audit, get_db, invites, users
from casework.store.db import transaction

bp = Blueprint("auth", __name__)


def hash_params() -> passwords.HashParams:
    settings = current_app.config["CASEWORK"]
    return passwords.HashParams(
        time_cost=settings["passwords.time_cost"],
        memory_kib=settings["passwords.memory_kib"],
        parallelism=settings["passwords.parallelism"],
    )


def safe_next(target: str | None) -> str:
    """Stay on our own host after sign-in: only a local path is followed."""
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
    conn, now = get_db(), clock.now()
    users.touch(conn, user.id, now)
    audit.record(conn, now, user.id, "signin.succeeded")


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        conn, params = get_db(), hash_params()
        found = users.credentials(conn, form.handle.data.strip())
        if found is None:
            passwords.dummy_verify(form.password.data, params)  # same time for an unknown handle
        else:
            user, stored = found
            ok, new_hash = passwords.verify_password(stored, form.password.data, params)
            if ok:
                if new_hash:
                    users.set_password_hash(conn, user.id, new_hash)
                start_session(user)
                return redirect(safe_next(form.next.data))
            audit.record(conn, clock.now(), user.id, "signin.failed")
        # One message for an unknown pseudonym and a wrong password.
        flash(_("That pseudonym and password do not match."), "error")
    return render_template("auth/signin.html", form=form)


@bp.route("/signout", methods=["POST"])
@roles("coordinator", "volunteer")
def signout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.signin"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    conn, now = get_db(), clock.now()
    link = invites.find_usable(conn, token, "setup", now)
    if link is None:
        return render_template("auth/link_unusable.html"), 404
    form = SetupForm()
    if form.validate_on_submit():
        password_hash = passwords.hash_password(form.password.data, hash_params())
        try:
            with transaction(conn):
                if not invites.mark_used(conn, link["id"], now):
                    abort(404)
                user = users.create(conn, form.handle.data, link["role"], password_hash, now)
                audit.record(conn, now, user.id, "setup.used")
        except users.HandleTaken:
            form.handle.errors.append(_("This pseudonym is taken: choose another."))
        else:
            start_session(user)
            flash(_("Your account is ready."), "info")
            return redirect(url_for("home.index"))
    return render_template("auth/setup.html", form=form, token=token)
