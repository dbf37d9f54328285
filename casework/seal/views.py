"""Unlock (reachable while sealed) and Lock now (coordinators, after a confirmation)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casework.auth.views import start_session
from casework.seal.forms import CoordinatorUnlockForm, UnlockForm
from casework.store import vault_state
from casework.web import keyslots, lifecycle
from casework.web.context import get_db, get_store
from casework.web.forms import Confirmation, ConfirmForm
from casework.web.gate import roles

bp = Blueprint("seal", __name__)

STATUS = {
    "throttled": 429,
    "busy": 503,
    "wrong": 503,
    "typo": 503,
    "unsealed": 503,
    "disk full": 507,
}


def _problem(outcome: lifecycle.UnlockOutcome, wrong: str) -> str:
    if outcome.problem == "throttled":
        minutes = max(1, -(-outcome.wait_seconds // 60))
        return _("Too many attempts. Try again in %(minutes)d minute(s).", minutes=minutes)
    if outcome.problem == "busy":
        return _("Someone is unlocking casework right now. Wait a moment and reload.")
    if outcome.problem == "typo":
        return _("Check the recovery key: one of its symbols is wrong.")
    if outcome.problem == "disk full":
        return _(
            "The server's disk is full: casework stays locked. Tell the operator to free some"
            " space, then unlock again."
        )
    return wrong


def _sealed(status: int = 503, **forms):
    return render_template("sealed.html", **forms), status


@bp.route("/unlock/coordinator", methods=["POST"])
def unlock_coordinator():
    """A coordinator unseals with their own pseudonym, password and code (sealed only)."""
    if not get_store().sealed:
        return redirect(url_for("home.index"))
    form = CoordinatorUnlockForm()
    if not form.validate_on_submit():
        return _sealed(coordinator_form=form)
    outcome = keyslots.unlock_as_coordinator(
        current_app,
        form.handle.data.strip(),
        form.password.data,
        form.code.data.strip(),
        request.remote_addr or "unknown",
    )
    if outcome.user is not None:
        start_session(outcome.user)
        flash(_("casework is unlocked."), "info")
        return redirect(url_for("home.index"))
    wrong = _("Those sign-in details do not open the store. Check them and try again.")
    form.code.errors.append(_problem(outcome, wrong))
    return _sealed(STATUS[outcome.problem], coordinator_form=form)


@bp.route("/unlock", methods=["POST"])
def unlock():
    """The recovery key or the operator passphrase unseals (sealed only)."""
    if not get_store().sealed:
        return redirect(url_for("home.index"))
    form = UnlockForm()
    if not form.validate_on_submit():
        return _sealed(form=form)
    outcome = lifecycle.unlock_with_passphrase(
        current_app, form.passphrase.data, request.remote_addr or "unknown"
    )
    if outcome.problem is None:
        made = get_store().new_recovery_key  # a store upgraded to key slots just now
        get_store().new_recovery_key = None
        if made:
            return render_template("seal/recovery_key.html", key=made, upgraded=True)
        flash(_("casework is unlocked."), "info")
        return redirect(url_for("auth.signin"))
    wrong = _("That recovery key or passphrase does not open the store.")
    form.passphrase.errors.append(_problem(outcome, wrong))
    return _sealed(STATUS[outcome.problem], form=form)


@bp.route("/lock", methods=["GET"])
@roles("coordinator")
def confirm():
    confirm = Confirmation(
        heading=_("Lock now?"),
        sentences=[
            _(
                "Locking drops the store key from the server's memory and signs everyone out at"
                " once. Nothing can be read until a coordinator unlocks it again with their own"
                " sign-in (or someone uses the recovery key)."
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
    """The sealed page renders its own forms (errors.sealed_page passes none)."""
    return {"unlock_form": UnlockForm, "coordinator_unlock_form": CoordinatorUnlockForm}


@bp.route("/recovery-key", methods=["GET", "POST"])
@roles("coordinator")
def recovery_key():
    """Make a new recovery key (the old one stops working at once); shown once."""
    if not ConfirmForm().validate_on_submit():
        return render_template("seal/recovery_key.html", key=None, used=_recovery_used())
    return render_template("seal/recovery_key.html", key=keyslots.new_recovery_key(current_app))


def _recovery_used() -> bool:
    state = vault_state.read(get_db())
    return bool(state and state.recovery_used_at)


@bp.app_context_processor
def recovery_key_warning():
    """Coordinators are told when the store was last opened with the recovery key."""
    return {"recovery_key_was_used": _recovery_used_for_coordinators}


def _recovery_used_for_coordinators() -> bool:
    if not getattr(current_user, "is_coordinator", False) or get_store().sealed:
        return False
    return _recovery_used()
