"""Coordinators manage people; every person is reached through load_or_404."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from casework.people.forms import ROLE_LABELS, InviteForm, RoleForm
from casework.store import invites, people, users
from casework.store.db import Connection
from casework.web import context, hosts, keyslots
from casework.web.context import get_db
from casework.web.forms import Confirmation, ConfirmForm
from casework.web.gate import roles

bp = Blueprint("people", __name__, url_prefix="/people")


def load_or_404(conn: Connection, public_id: str, viewer: users.User) -> users.User:
    """The person behind a URL token, for a coordinator; 404 for anyone or anything else."""
    if not viewer.is_coordinator or len(public_id) > 64:
        abort(404)
    person = users.get_any(conn, public_id)
    if person is None:
        abort(404)
    return person


def _not_self(person: users.User):
    """Coordinators cannot lock themselves out from this page."""
    if person.id == current_user.id:
        flash(_("You cannot do this to your own account."), "error")
        return redirect(url_for("people.person", public_id=person.public_id))
    return None


def _show_link(link: invites.Link, purpose: str, hours: int, person=None):
    url = hosts.external_url("links.follow", token=link.token)
    return render_template(
        "people/link.html", url=url, code=link.code, purpose=purpose, hours=hours, person=person
    )


@bp.route("/")
@roles("coordinator")
def index():
    return render_template(
        "people/index.html",
        unlockers=keyslots.unlockers(current_app),
        people=people.listing(get_db()),
        invite_form=InviteForm(),
        role_labels=ROLE_LABELS,
    )


@bp.route("/invite", methods=["POST"])
@roles("coordinator")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        abort(400)
    conn, now = get_db(), context.now()
    hours = current_app.config["CASEWORK"]["invites.valid_hours"]
    link = invites.create_with_code(
        conn, "invite", now, hours, role=form.role.data, created_by=current_user.id
    )
    return _show_link(link, "invite", hours)


@bp.route("/<public_id>")
@roles("coordinator")
def person(public_id: str):
    found = load_or_404(get_db(), public_id, current_user)
    last_seen = None
    if found.last_seen_at:
        last_seen = format_date(datetime.fromtimestamp(found.last_seen_at, UTC))
    return render_template(
        "people/person.html",
        person=found,
        can_unlock=found.id in keyslots.unlockers(current_app),
        role_form=RoleForm(role=found.role),
        role_labels=ROLE_LABELS,
        last_seen=last_seen,
    )


@bp.route("/<public_id>/role", methods=["POST"])
@roles("coordinator")
def change_role(public_id: str):
    found = load_or_404(get_db(), public_id, current_user)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    refused = _not_self(found)
    if refused:
        return refused
    try:
        people.set_role(get_db(), current_user.id, found, form.role.data, context.now())
    except people.LastCoordinator:
        flash(_("The group needs at least one active coordinator."), "error")
    else:
        flash(_("The role is changed."), "info")
        if found.role == "coordinator" and form.role.data != "coordinator":
            _rotated(keyslots.remove_and_rotate(current_app, found.id))
    return redirect(url_for("people.person", public_id=public_id))


def _rotated(done: bool) -> None:
    """What a coordinator's leaving did to the store key, said plainly."""
    if not done:
        flash(
            _(
                "The store key could not be changed (is the disk full?). Their sign-in no"
                " longer unlocks the store, but ask the operator to run: casework rotate"
            ),
            "error",
        )
        return
    flash(
        _(
            "The store key was changed: their old sign-in no longer unlocks the store, even"
            " with an old copy of its files. Backups made before now still open with the"
            " backup passphrase of their day: make a fresh backup (casework backup) and"
            " destroy the old ones."
        ),
        "info",
    )


@bp.route("/<public_id>/deactivate", methods=["GET", "POST"])
@roles("coordinator")
def deactivate(public_id: str):
    found = load_or_404(get_db(), public_id, current_user)
    if not ConfirmForm().validate_on_submit():  # GET: the confirmation step
        return render_template("confirm.html", confirm=_deactivate_confirmation(found))
    refused = _not_self(found)
    if refused:
        return refused
    try:
        people.deactivate(get_db(), current_user.id, found, context.now())
    except people.LastCoordinator:
        flash(_("The group needs at least one active coordinator."), "error")
    else:
        flash(_("The account is deactivated and its sessions are ended."), "info")
        if found.role == "coordinator":
            _rotated(keyslots.remove_and_rotate(current_app, found.id))
    return redirect(url_for("people.person", public_id=public_id))


def _deactivate_confirmation(person: users.User) -> Confirmation:
    return Confirmation(
        heading=_("Deactivate %(handle)s?", handle=person.handle),
        sentences=[
            _(
                "They are signed out everywhere at once and cannot sign in again until a"
                " coordinator reactivates the account."
            ),
            *(
                [
                    _(
                        "Their sign-in will no longer unlock the store: the store key is"
                        " changed at once, which takes a few seconds for everyone."
                    )
                ]
                if person.role == "coordinator"
                else []
            ),
        ],
        button=_("Deactivate"),
        action=url_for("people.deactivate", public_id=person.public_id),
        back=url_for("people.person", public_id=person.public_id),
        back_label=_("Cancel"),
        destructive=True,
    )


@bp.route("/<public_id>/reactivate", methods=["POST"])
@roles("coordinator")
def reactivate(public_id: str):
    found = load_or_404(get_db(), public_id, current_user)
    people.reactivate(get_db(), current_user.id, found, context.now())
    flash(_("The account is active again."), "info")
    return redirect(url_for("people.person", public_id=public_id))


@bp.route("/<public_id>/second-factor/reset", methods=["POST"])
@roles("coordinator")
def reset_second_factor(public_id: str):
    found = load_or_404(get_db(), public_id, current_user)
    refused = _not_self(found)
    if refused:
        return refused
    people.reset_second_factor(get_db(), current_user.id, found, context.now())
    flash(_("The second factor is reset: they set it up again at their next sign-in."), "info")
    return redirect(url_for("people.person", public_id=public_id))


@bp.route("/<public_id>/password-link", methods=["POST"])
@roles("coordinator")
def reset_password(public_id: str):
    found = load_or_404(get_db(), public_id, current_user)
    conn, now = get_db(), context.now()
    hours = current_app.config["CASEWORK"]["invites.reset_hours"]
    link = invites.create_with_code(
        conn, "reset", now, hours, user_id=found.id, created_by=current_user.id
    )
    return _show_link(link, "reset", hours, person=found)


@bp.route("/<public_id>/sessions/end", methods=["POST"])
@roles("coordinator")
def end_sessions(public_id: str):
    found = load_or_404(get_db(), public_id, current_user)
    ended = people.end_sessions_of(get_db(), current_user.id, found, context.now())
    flash(_("Sessions ended: %(count)d.", count=ended), "info")
    return redirect(url_for("people.person", public_id=public_id))
