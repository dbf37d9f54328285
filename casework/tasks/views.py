"""Task pages: create, change, show, cancel and debrief (staffing and the week view are
in their own modules of this blueprint)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from casework.rules import localtime
from casework.store import cases, notices, staffing, tasks
from casework.tasks.blueprint import bp
from casework.tasks.forms import AssignForm, DebriefForm, TaskForm
from casework.web import context
from casework.web.context import get_db
from casework.web.forms import Confirmation, ConfirmForm
from casework.web.gate import roles
from casework.web.labels import kind_label, when


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
        going=task.mine and request.args.get("going") == "1",
        late=task["starts_at"] - now < staffing.LATE_WITHDRAWAL,
        seen_by=notices.on_task(conn, task["id"]) if current_user.is_coordinator else [],
    )


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
