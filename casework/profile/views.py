"""The profile page and the changes a person makes to their own account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm

from casework.auth.attempts import TOO_MANY, check_current_password
from casework.auth.forms import ChangePasswordForm
from casework.auth.views import hash_params
from casework.profile.forms import ProfileForm
from casework.rules import availability, languages, passwords
from casework.store import people, second_factor, users
from casework.web import context, keyslots, labels
from casework.web.context import get_db
from casework.web.gate import roles

bp = Blueprint("profile", __name__, url_prefix="/profile")


def _form_for(user: users.User) -> FlaskForm:
    form = ProfileForm()
    if not form.is_submitted():
        form.languages.data = languages.parse(user.languages)
        form.availability.data = [str(i) for i in sorted(availability.parse(user.availability))]
        form.ui_language.data = user.ui_language or ""
    return form


@bp.route("/", methods=["GET", "POST"])
@roles("coordinator", "volunteer")
def index():
    form = _form_for(current_user)
    if form.validate_on_submit():
        users.update_profile(
            get_db(),
            current_user.id,
            languages.serialise(form.languages.data),
            availability.serialise({int(slot) for slot in form.availability.data}),
            form.ui_language.data or None,
        )
        flash(_("Your profile is saved."), "info")
        return redirect(url_for("profile.index"))
    codes_left = second_factor.recovery_codes_left(get_db(), current_user.id)
    return render_template(
        "profile/index.html",
        form=form,
        days=labels.DAY_LABELS,
        parts=labels.PART_LABELS,
        codes_left=codes_left,
    )


@bp.route("/password", methods=["GET", "POST"])
@roles("coordinator", "volunteer")
def password():
    form = ChangePasswordForm()
    form.handle_for_rules = current_user.handle
    if form.validate_on_submit():
        conn, now = get_db(), context.now()
        checked = check_current_password(conn, current_user, form.current.data, hash_params(), now)
        if checked.throttled:
            flash(TOO_MANY, "error")
            return render_template("profile/password.html", form=form), 429
        if checked.user is None:
            form.current.errors.append(_("This is not your current password."))
        else:
            new_hash = passwords.hash_password(form.password.data, hash_params())
            people.change_password(conn, current_user, new_hash, now)
            keyslots.refresh(current_app, current_user, form.password.data, changed=True)
            session.rotate()  # this device keeps going under a new session id
            flash(_("Your password is changed. Other devices are signed out."), "info")
            return redirect(url_for("profile.index"))
    return render_template("profile/password.html", form=form)


@bp.route("/sessions/end", methods=["POST"])
@roles("coordinator", "volunteer")
def signout_everywhere():
    conn, now = get_db(), context.now()
    people.end_sessions_of(conn, current_user.id, current_user, now)
    logout_user()
    session.clear()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.signin"))
