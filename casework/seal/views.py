"""Unlock (reachable while sealed) and Lock now (coordinators, after a confirmation)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casework.seal.forms import UnlockForm
from casework.web import lifecycle
from casework.web.context import get_store
from casework.web.forms import Confirmation
from casework.web.gate import roles

bp = Blueprint("seal", __name__)

STATUS = {"throttled": 429, "busy": 503, "wrong": 503, "key_file": 503}


def _problem(outcome: lifecycle.UnlockOutcome) -> str:
    if outcome.problem == "throttled":
        minutes = max(1, -(-outcome.wait_seconds // 60))
        return _("Too many attempts. Try again in %(minutes)d minute(s).", minutes=minutes)
    if outcome.problem == "busy":
        return _("Someone is unlocking casework right now. Wait a moment and reload.")
    if outcome.problem == "key_file":
        return _("This store opens with its key file: restart casework with it.")
    return _("That passphrase does not open the store.")


@bp.route("/unlock", methods=["POST"])
def unlock():
    if not get_store().sealed:
        return redirect(url_for("home.index"))
    form = UnlockForm()
    if not form.validate_on_submit():
        return render_template("sealed.html", form=form), 503
    outcome = lifecycle.unlock_with_passphrase(
        current_app, form.passphrase.data, request.remote_addr or "unknown"
    )
    if outcome.problem is None:
        flash(_("casework is unlocked."), "info")
        return redirect(url_for("auth.signin"))
    form.passphrase.errors.append(_problem(outcome))
    return render_template("sealed.html", form=form), STATUS[outcome.problem]


@bp.route("/lock", methods=["GET"])
@roles("coordinator")
def confirm():
    confirm = Confirmation(
        heading=_("Lock now?"),
        sentences=[
            _(
                "Locking drops the store key from the server's memory and signs everyone out at"
                " once. Nothing can be read until someone unlocks it again with the store"
                " passphrase."
            )
        ],
        button=_("Lock now"),
        action=url_for("seal.lock_now"),
        back=url_for("home.index"),
        back_label=_("Cancel"),
        destructive=True,
    )
    return render_template("confirm.html", confirm=confirm)


@bp.route("/lock", methods=["POST"])
@roles("coordinator")
def lock_now():
    lifecycle.lock_store(current_app, "manual", current_user.id)
    return redirect(url_for("home.index"))


@bp.app_context_processor
def unlock_form_factory():
    """The sealed page renders its own form (errors.sealed_page passes none)."""
    return {"unlock_form": UnlockForm, "opens_with_key_file": _opens_with_key_file}


def _opens_with_key_file() -> bool:
    try:
        return get_store().keyed_by_key_file
    except Exception:  # a damaged salt file: show the form, unlocking will say why
        return False
