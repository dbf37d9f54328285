"""Task views: thin shells over casework.store.tasks and casework.store.staffing."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from casework.rules import localtime
from casework.store import NotFound, boards, cases, staffing, tasks
from casework.tasks.forms import AssignForm, DebriefForm, TaskForm
from casework.web import context
from casework.web.context import get_db
from casework.web.forms import Confirmation, ConfirmForm
from casework.web.gate import roles
from casework.web.labels import kind_label, when

bp = Blueprint("tasks", __name__)

PROBLEMS = {
    "full": lambda: _("Someone took the last place just before you: this task is full."),
    "closed": lambda: _("This task is no longer open."),
    "started": lambda: _("This task has already started."),
    "already": lambda: _("You are already going."),
    "absent": lambda: _("This person is not on this task."),
}


def _zone() -> str:
    return current_app.config["CASEWORK"]["timezone"]


def _prefill(form: TaskForm, source) -> None:
    # "Postponed": the next task starts as a copy of the last one, date left to choose.
    for name in ("kind", "place", "meeting_point", "people_needed", "instructions", "urgent"):
        getattr(form, name).data = source[name]
    form.languages.data = [c for c in source["languages"].split(",") if c]
    minutes = (source["ends_at"] - source["starts_at"]) // 60
    form.duration.data = min(form.duration.choices, key=lambda c: abs(c.value - minutes)).value


@bp.route("/cases/<code>/tasks/new", methods=["GET", "POST"])
@roles("coordinator")
def new(code: str):
    conn, now = get_db(), context.now()
    case = cases.load_or_404(conn, code, current_user)
    if case["state"] != "open":
        abort(404)
    form = TaskForm().prepare(_zone(), now)
    source = request.args.get("after", "")
    if request.method == "GET" and source:
        _prefill(form, tasks.load_or_404(conn, source, current_user, now))
    if form.validate_on_submit():
        token = tasks.create(conn, case, form.details(), now, current_user.id)
        flash(_("The task is on the board."), "info")
        return redirect(url_for("tasks.show", token=token))
    return render_template("tasks/form.html", form=form, case=case, task=None)


@bp.route("/tasks/<token>/edit", methods=["GET", "POST"])
@roles("coordinator")
def edit(token: str):
    conn, now = get_db(), context.now()
    task = tasks.load_or_404(conn, token, current_user, now)
    if task["state"] not in ("open", "staffed") or task["starts_at"] <= now:
        flash(_("A task that has started, ended or been cancelled cannot be changed."), "error")
        return redirect(url_for("tasks.show", token=token))
    form = TaskForm().prepare(_zone(), now)
    if request.method == "GET":
        _prefill(form, task.row)
        start = localtime.to_local(task["starts_at"], _zone())
        form.day.data, form.start.data = start.strftime("%Y-%m-%d"), start.strftime("%H:%M")
    if form.validate_on_submit():
        try:
            changed = tasks.update(conn, task.row, form.details(), now, current_user.id)
        except tasks.TooFewPlaces as problem:
            form.people_needed.errors.append(
                _(
                    "%(count)d people are already going: remove someone first.",
                    count=problem.assigned,
                )
            )
        else:
            if changed:
                flash(_("The task is changed. Tell the people going."), "info")
            return redirect(url_for("tasks.show", token=token))
    return render_template("tasks/form.html", form=form, case=None, task=task)


@bp.route("/tasks/<token>")
@roles("coordinator", "volunteer")
def show(token: str):
    conn, now = get_db(), context.now()
    task = tasks.load_or_404(conn, token, current_user, now)
    people = tasks.assignees(conn, task["id"]) if task.full else []
    suggested = []
    if current_user.is_coordinator and task["state"] == "open" and task["starts_at"] > now:
        suggested = staffing.suggestions(conn, task.row, now, _zone())
    return render_template(
        "tasks/show.html",
        task=task,
        people=people,
        suggested=suggested,
        now=now,
        actions=staffing.actions(task, current_user, now),
        assign=AssignForm(),
    )


def _staffing_change(token: str, change, user_id_of, signing_up: bool = False) -> object:
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
            flash(_("Saved."), "info")
    try:  # back to the task if the person may still see it, else home
        tasks.load_or_404(conn, token, current_user, now)
    except NotFound:
        return redirect(url_for("home.index"))
    return redirect(url_for("tasks.show", token=token))


@bp.route("/tasks/<token>/signup", methods=["POST"])
@roles("volunteer", "coordinator")
def signup(token: str):
    return _staffing_change(
        token, staffing.take_place, lambda _conn: current_user.id, signing_up=True
    )


@bp.route("/tasks/<token>/withdraw", methods=["POST"])
@roles("volunteer", "coordinator")
def withdraw(token: str):
    return _staffing_change(token, staffing.leave, lambda _conn: current_user.id)


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


@bp.route("/tasks/<token>/cancel", methods=["GET", "POST"])
@roles("coordinator")
def cancel(token: str):
    conn, now = get_db(), context.now()
    task = tasks.load_or_404(conn, token, current_user, now)
    if not ConfirmForm().validate_on_submit():  # GET: the confirmation step (it cannot be undone)
        return render_template("confirm.html", confirm=_cancel_confirmation(task))
    if tasks.cancel(conn, task.row, now, current_user.id):
        flash(_("The task is cancelled."), "info")
    return redirect(url_for("tasks.show", token=token))


def _cancel_confirmation(task: tasks.TaskView) -> Confirmation:
    sentences = [f"{kind_label(task['kind'])} · {when(task['starts_at'])}"]
    if task["assigned"]:
        sentences.append(
            ngettext(
                "%(num)d person is going: tell them it is cancelled.",
                "%(num)d people are going: tell them it is cancelled.",
                task["assigned"],
            )
        )
    sentences.append(_("A cancelled task cannot be opened again."))
    return Confirmation(
        heading=_("Cancel this task?"),
        sentences=sentences,
        button=_("Cancel the task"),
        action=url_for("tasks.cancel", token=task["token"]),
        back=url_for("tasks.show", token=task["token"]),
        back_label=_("Keep it"),
        destructive=True,
    )


@bp.route("/tasks/<token>/debrief", methods=["GET", "POST"])
@roles("coordinator", "volunteer")
def debrief(token: str):
    conn, now = get_db(), context.now()
    task = tasks.load_or_404(conn, token, current_user, now)
    refusal = staffing.debrief_refusal(task, current_user, now)
    if refusal == "hidden":
        abort(404)
    if refusal == "not_yet":
        flash(_("A debrief can be written once the task has started."), "error")
        return redirect(url_for("tasks.show", token=token))
    form = DebriefForm()
    if form.validate_on_submit():
        tasks.debrief(conn, task.row, form.outcome.data, form.note.data or "", now, current_user.id)
        flash(_("Thank you: the debrief is saved."), "info")
        if form.outcome.data == "postponed" and current_user.is_coordinator:
            return redirect(url_for("tasks.new", code=task["case_code"], after=token))
        return redirect(url_for("home.index"))
    return render_template("tasks/debrief.html", form=form, task=task)


@bp.route("/tasks/<token>/handled", methods=["POST"])
@roles("coordinator")
def handled(token: str):
    conn, now = get_db(), context.now()
    task = tasks.load_or_404(conn, token, current_user, now)
    if ConfirmForm().validate_on_submit():
        tasks.follow_up_handled(conn, task.row, now, current_user.id)
        flash(_("The follow-up is off the board."), "info")
    return redirect(url_for("home.index"))


@bp.route("/week")
@roles("coordinator", "volunteer")
def week():
    zone, now = _zone(), context.now()
    today = localtime.to_local(now, zone).date()
    day = localtime.parse_date(request.args.get("day", "")) or today
    if abs(day.year - today.year) > localtime.MAX_YEARS_AHEAD:
        day = today  # far-off weeks are typos, and year 1 would overflow
    monday = localtime.week_start(day)
    start, end = localtime.day_bounds(monday, 7, zone)
    owner = None if current_user.is_coordinator else current_user.id
    rows = boards.week(get_db(), start, end, owner)
    return render_template(
        "tasks/week.html",
        rows=rows,
        limit=boards.WEEK_LIMIT,
        previous=(monday - timedelta(days=7)).isoformat(),
        following=(monday + timedelta(days=7)).isoformat(),
    )
