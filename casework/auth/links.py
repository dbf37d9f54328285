"""Invites and password resets without e-mail: a link, or a short code typed at /join.

Following the link or typing the code puts the link's row id in the anonymous session;
/join/finish then asks for a handle and password (invite) or a new password (reset).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from casework.auth.attempts import TOO_MANY
from casework.auth.forms import JoinForm, NewPasswordForm, SetupForm
from casework.auth.views import accept_link, hash_params, link_unusable
from casework.rules import passwords
from casework.store import invites, joining, users
from casework.web import context, keyslots, throttle
from casework.web.context import get_db

bp = Blueprint("links", __name__)
LINK_KEY = "link"


@bp.route("/join", methods=["GET", "POST"])
def join():
    form = JoinForm()
    if form.validate_on_submit():
        conn, now = get_db(), context.now()
        if throttle.refused(conn, None, now):  # codes are guessable only by many tries
            flash(TOO_MANY, "error")
            return render_template("auth/join.html", form=form), 429
        link = invites.find_usable_code(conn, form.code.data, now)
        if link is None:
            throttle.record_failure(conn, None, now)
            form.code.errors.append(_("This code is not valid, or has expired or been used."))
        else:
            session[LINK_KEY] = link["id"]
            return redirect(url_for("links.finish"))
    return render_template("auth/join.html", form=form)


@bp.route("/join/<token>")
def follow(token: str):
    link = invites.find_usable_link(get_db(), token, context.now())
    if link is None:
        return link_unusable()
    session[LINK_KEY] = link["id"]
    return redirect(url_for("links.finish"))


@bp.route("/join/finish", methods=["GET", "POST"])
def finish():
    conn, now = get_db(), context.now()
    link_id = session.get(LINK_KEY)
    link = invites.get_usable(conn, link_id, now) if isinstance(link_id, int) else None
    if link is None:
        return link_unusable()
    if link["purpose"] == "reset":
        return _reset(conn, link, now)
    form = SetupForm()
    if form.validate_on_submit():
        done = accept_link(conn, link, form, now, "invite.used")
        if done is not None:
            return done
    return render_template(
        "auth/accept.html", form=form, role=link["role"], action=url_for("links.finish")
    )


def _reset(conn, link, now: int):
    person = users.get_by_id(conn, link["user_id"])
    form = NewPasswordForm()
    form.handle_for_rules = person.handle if person else None
    if form.validate_on_submit():
        password_hash = passwords.hash_password(form.password.data, hash_params())
        try:
            joining.reset_password(conn, link, password_hash, now)
        except joining.LinkUsed:
            return link_unusable()
        session.pop(LINK_KEY, None)
        if person is not None:
            keyslots.refresh(current_app, person, form.password.data, changed=True)
        flash(_("Your new password is set. Sign in with it."), "info")
        return redirect(url_for("auth.signin"))
    return render_template("auth/reset.html", form=form)
