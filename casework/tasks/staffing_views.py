"""Who goes: signing up and withdrawing (with a confirmation within 48 hours of the
start), and coordinators assigning or removing someone."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casework.store import NotFound, staffing, tasks
from casework.tasks.blueprint import bp
from casework.tasks.forms import AssignForm
from casework.web import context
from casework.web.context import get_db
from casework.web.forms import Confirmation
from casework.web.gate import roles
from casework.web.labels import kind_label, when

PROBLEMS = {
    "full": lambda: _("Someone took the last place just before you: this task is full."),
    "closed": lambda: _("This task is no longer open."),
    "started": lambda: _("This task has already started."),
    "already": lambda: _("You are already going."),
    "absent": lambda: _("This person is not on this task."),
}


def _staffing_change(token: str, change, user_id_of, signing_up: bool = False, landing=None):
    conn, now = get_db(), context.now()
    task = tasks.load_or_404(conn, token, current_user, now, signing_up=signing_up)
    user_id = user_id_of(conn)
    if user_id is None:
        flash(_("No active person has that pseudonym."), "error")
    else:
        try:
            change(conn, task.row, user_id, now, current_user.id)
        except staffing.StaffingProblem as problem:
            flash(PROBLEMS[problem.reason](), "error")
        else:
            if landing:  # the page itself says what happened, with the details
                return redirect(url_for("tasks.show", token=token, **landing))
            flash(_("Saved."), "info")
    try:  # back to the task if the person may still see it, else home
        tasks.load_or_404(conn, token, current_user, now)
    except NotFound:
        return redirect(url_for("home.index"))
    return redirect(url_for("tasks.show", token=token))


@bp.route("/tasks/<token>/signup", methods=["POST"])
@roles("volunteer", "coordinator")
def signup(token: str):
    """Take a place; the task page then shows where and when to meet."""
    return _staffing_change(
        token,
        staffing.take_place,
        lambda _conn: current_user.id,
        signing_up=True,
        landing={"going": "1"},
    )


@bp.route("/tasks/<token>/withdraw", methods=["GET", "POST"])
@roles("volunteer", "coordinator")
def withdraw(token: str):
    """Leave a task; within 48 hours of its start, only after a confirmation step."""
    conn, now = get_db(), context.now()
    task = tasks.load_or_404(conn, token, current_user, now)
    late = task["starts_at"] - now < staffing.LATE_WITHDRAWAL
    confirmed = request.method == "POST" and request.values.get("confirmed") == "1"
    if request.method == "GET" or (late and not confirmed):
        if staffing.withdrawal_refusal(task.row, task.mine, now) is not None:
            return redirect(url_for("tasks.show", token=token))
        return render_template("confirm.html", confirm=_withdraw_confirmation(task))
    return _staffing_change(token, staffing.leave, lambda _conn: current_user.id)


def _withdraw_confirmation(task: tasks.TaskView) -> Confirmation:
    return Confirmation(
        heading=_("Withdraw from this task?"),
        sentences=[
            f"{kind_label(task['kind'])} · {when(task['starts_at'])}",
            _(
                "It starts in less than 48 hours: the coordinators will see that you"
                " withdrew and look for someone else."
            ),
        ],
        button=_("Withdraw"),
        action=url_for("tasks.withdraw", token=task["token"]),
        back=url_for("tasks.show", token=task["token"]),
        back_label=_("Keep my place"),
        destructive=True,
        hidden=(("confirmed", "1"),),
    )


def _named_volunteer(conn) -> int | None:
    """The volunteer a coordinator's assign/unassign form names (None: no such person)."""
    form = AssignForm()
    return staffing.volunteer_id(conn, form.volunteer.data) if form.validate_on_submit() else None


# The task is looked up before the form is read: an unknown token is a 404.
@bp.route("/tasks/<token>/assign", methods=["POST"])
@roles("coordinator")
def assign(token: str):
    return _staffing_change(token, staffing.take_place, _named_volunteer)


@bp.route("/tasks/<token>/unassign", methods=["POST"])
@roles("coordinator")
def unassign(token: str):
    return _staffing_change(token, staffing.leave, _named_volunteer)
