"""Case views: thin shells over casework.store.cases (coordinators only)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from casework.cases.forms import CaseForm, LookupForm
from casework.store import cases
from casework.web import context
from casework.web.context import get_db
from casework.web.forms import Confirmation, ConfirmForm
from casework.web.gate import roles

bp = Blueprint("cases", __name__)

LOOKUP_PROBLEMS = {
    "typo": lambda: _("Check the code: one of its characters is wrong."),
    "unknown": lambda: _("No open case with that code."),
}


@bp.route("/cases/new", methods=["GET", "POST"])
@roles("coordinator")
def new():
    conn = get_db()
    form = CaseForm()
    form.fill_choices(cases.coordinators(conn))
    if request.method == "GET":
        form.coordinator.data = str(current_user.id)
    if form.validate_on_submit():
        code = cases.open_case(conn, form.details(), context.now(), current_user.id)
        flash(_("Case %(code)s is open.", code=code), "info")
        return redirect(url_for("cases.show", code=code))
    return render_template("cases/form.html", form=form, case=None)


@bp.route("/cases/find")
@roles("coordinator")
def find():
    form = LookupForm(request.args)
    if request.args and form.validate():
        try:
            case = cases.find(get_db(), form.code.data)
        except cases.LookupProblem as problem:
            form.code.errors.append(LOOKUP_PROBLEMS[problem.reason]())
        else:
            return redirect(url_for("cases.show", code=case["code"]))
    return render_template("cases/find.html", form=form)


@bp.route("/cases/<code>")
@roles("coordinator")
def show(code: str):
    conn = get_db()
    case = cases.load_or_404(conn, code, current_user)
    if case["code"] != code:  # a lower-case or dash-less link: show the canonical address
        return redirect(url_for("cases.show", code=case["code"]))
    return render_template("cases/show.html", case=case, tasks=cases.tasks_of(conn, case["id"]))


@bp.route("/cases/<code>/edit", methods=["GET", "POST"])
@roles("coordinator")
def edit(code: str):
    conn = get_db()
    case = cases.load_or_404(conn, code, current_user)
    form = CaseForm()
    form.fill_choices(cases.coordinators(conn))
    if request.method == "GET":
        form.languages.data = case["languages"].split(",") if case["languages"] else []
        form.support_kinds.data = [k for k in case["support_kinds"].split(",") if k]
        form.context_note.data = case["context_note"]
        form.coordinator.data = str(case["coordinator_id"] or current_user.id)
    if form.validate_on_submit():
        cases.update(conn, case["id"], form.details(), context.now())
        flash(_("Saved."), "info")
        return redirect(url_for("cases.show", code=case["code"]))
    return render_template("cases/form.html", form=form, case=case)


@bp.route("/cases/<code>/close", methods=["GET", "POST"])
@roles("coordinator")
def close(code: str):
    conn, now = get_db(), context.now()
    case = cases.load_or_404(conn, code, current_user)
    if not ConfirmForm().validate_on_submit():  # GET: the confirmation step
        return render_template("confirm.html", confirm=_close_confirmation(conn, case, now))
    if cases.close(conn, case, now, current_user.id):
        flash(_("The case is closed. Its upcoming tasks are cancelled."), "info")
    return redirect(url_for("cases.show", code=case["code"]))


def _close_confirmation(conn, case, now: int) -> Confirmation:
    # Reopening the case later keeps these tasks cancelled: say so before closing.
    upcoming = sum(
        1
        for task in cases.tasks_of(conn, case["id"])
        if task["starts_at"] > now and task["state"] in ("open", "staffed")
    )
    sentences = []
    if upcoming:
        sentences.append(
            ngettext(
                "Its %(num)d upcoming task will be cancelled, and stays cancelled if the case"
                " is reopened.",
                "Its %(num)d upcoming tasks will be cancelled, and stay cancelled if the case"
                " is reopened.",
                upcoming,
            )
        )
    days = current_app.config["CASEWORK"]["retention.closed_case_days"]
    sentences.append(_("A closed case is erased for good %(days)d days after closing.", days=days))
    return Confirmation(
        heading=_("Close case %(code)s?", code=case["code"]),
        sentences=sentences,
        button=_("Close the case"),
        action=url_for("cases.close", code=case["code"]),
        back=url_for("cases.show", code=case["code"]),
        back_label=_("Keep it open"),
        destructive=True,
    )


@bp.route("/cases/<code>/reopen", methods=["POST"])
@roles("coordinator")
def reopen(code: str):
    conn = get_db()
    case = cases.load_or_404(conn, code, current_user)
    if ConfirmForm().validate_on_submit() and cases.reopen(
        conn, case, context.now(), current_user.id
    ):
        flash(_("The case is open again."), "info")
    return redirect(url_for("cases.show", code=case["code"]))


@bp.route("/cases/<code>/keep-open", methods=["POST"])
@roles("coordinator")
def keep_open(code: str):
    conn = get_db()
    case = cases.load_or_404(conn, code, current_user)
    if ConfirmForm().validate_on_submit() and cases.keep_open(
        conn, case, context.now(), current_user.id
    ):
        flash(_("Case %(code)s stays open: it is no longer dormant.", code=case["code"]), "info")
    return redirect(url_for("home.index"))
