"""Enrolling a second factor (TOTP) and getting new recovery codes."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from casework.auth.blueprint import bp
from casework.auth.forms import EnrolForm
from casework.rules import totp
from casework.store import audit, second_factor
from casework.web import context
from casework.web.context import get_db
from casework.web.gate import roles

ENROL_KEY = "enrol_secret"


def _pending_secret() -> bytes:
    """The secret shown on the enrolment page, kept server-side until it is confirmed."""
    text = session.get(ENROL_KEY)
    if not isinstance(text, str):
        text = totp.secret_to_base32(totp.new_secret())
        session[ENROL_KEY] = text
    return totp.base32_to_secret(text)


@bp.route("/profile/second-factor", methods=["GET", "POST"])
@roles("coordinator", "volunteer")
def enrol():
    if current_user.totp_enrolled:
        flash(_("Your second factor is already set up."), "info")
        return redirect(url_for("profile.index"))
    secret, form = _pending_secret(), EnrolForm()
    if form.validate_on_submit():
        step = totp.verify_code(secret, form.code.data, context.now(), None)
        if step is None:
            form.code.errors.append(_("That code does not match. Check the time on your phone."))
        else:
            codes = second_factor.enrol(get_db(), current_user.id, secret, step)
            session.pop(ENROL_KEY, None)
            audit.record(get_db(), context.now(), current_user.id, "second_factor.enrolled")
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = totp.provisioning_uri(secret, current_user.handle)
    # qr_svg is markup we generate ourselves (segno output, title escaped, styles stripped),
    # never user input: the only place casework marks HTML as safe.
    qr = Markup(totp.qr_svg(uri, _("QR code to add casework to your authenticator app")))  # noqa: S704
    return render_template(
        "auth/enrol.html", form=form, qr=qr, secret_text=totp.format_secret_for_reading(secret)
    )


@bp.route("/profile/recovery-codes", methods=["POST"])
@roles("coordinator", "volunteer")
def recovery_codes():
    if not current_user.totp_enrolled:
        return redirect(url_for("profile.index"))
    codes = second_factor.replace_recovery_codes(get_db(), current_user.id)
    audit.record(get_db(), context.now(), current_user.id, "recovery_codes.replaced")
    return render_template("auth/recovery_codes.html", codes=codes)
