"""The coordinators' retention page: what the next runs will delete, and past runs."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from casework.store import purge_reports
from casework.vault import purges
from casework.web import context
from casework.web.context import get_db
from casework.web.gate import roles

bp = Blueprint("retention", __name__)

# What each kind of purged row is called on the page (kinds in reports are stable ids).
PURGE_KIND_LABELS = {
    "sessions": _l("Expired sign-in sessions"),
    "invites": _l("Used or expired invitation links"),
    "failed_logins": _l("Failed sign-in records"),
    "audit_events": _l("Audit events"),
    "inactive_volunteers": _l("Volunteers deactivated after a long absence"),
    "deactivated_accounts": _l("Deactivated accounts deleted"),
    "purge_reports": _l("Old purge reports"),
    "dormant_cases": _l("Dormant cases closed automatically"),
    "closed_cases": _l("Closed cases deleted with their tasks"),
    "past_tasks": _l("Past tasks deleted"),
    "task_notes": _l("Instructions and debriefs erased"),
    "change_notices": _l("Change notices of past tasks or older than a debrief"),
}


def when(epoch: int) -> dt.datetime:
    """An aware UTC datetime; the templates show it in the instance time zone."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


@bp.route("/retention")
@roles("coordinator")
def overview():
    conn, settings = get_db(), current_app.config["CASEWORK"]
    plan = purges.upcoming(conn, context.now(), settings)
    return render_template(
        "retention/overview.html",
        plan=plan,
        history=purge_reports.recent(conn),
        labels=PURGE_KIND_LABELS,
        settings=settings,
        when=when,
    )
