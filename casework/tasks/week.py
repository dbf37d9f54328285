"""The week view: today and the next six days (or the seven days from the day asked for),
every task for coordinators, one's own for volunteers."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from casework.rules import localtime
from casework.store import boards
from casework.tasks.blueprint import bp
from casework.web import context
from casework.web.context import get_db
from casework.web.gate import roles

WEEK_PROBLEMS = {
    "not_a_date": lambda: _("That is not a date: here are the seven days from today."),
    "too_far": lambda: _(
        "That date is more than two years away: here are the seven days from today."
    ),
}


@bp.route("/week")
@roles("coordinator", "volunteer")
def week():
    """Seven dated days from ``?day=`` (default today); previous and next move by seven."""
    zone = current_app.config["CASEWORK"]["timezone"]
    today = localtime.to_local(context.now(), zone).date()
    first, problem = localtime.week_from(request.args.get("day"), today)
    start, end = localtime.day_bounds(first, localtime.WEEK_DAYS, zone)
    owner = None if current_user.is_coordinator else current_user.id
    rows = boards.week(get_db(), start, end, owner)
    return render_template(
        "tasks/week.html",
        days=_by_day(rows, first, today, zone),
        first=first,
        last=first + timedelta(days=localtime.WEEK_DAYS - 1),
        problem=WEEK_PROBLEMS[problem]() if problem else None,
        limit=boards.WEEK_LIMIT,
        total=len(rows),
        previous=(first - timedelta(days=localtime.WEEK_DAYS)).isoformat(),
        following=(first + timedelta(days=localtime.WEEK_DAYS)).isoformat(),
    )


def _by_day(rows: list, first: date, today: date, zone: str) -> list[dict]:
    """Each of the seven days with its name (today, tomorrow) and its tasks in order."""
    days = []
    for offset in range(localtime.WEEK_DAYS):
        day = first + timedelta(days=offset)
        name = {0: "today", 1: "tomorrow"}.get((day - today).days)
        days.append({"date": day, "name": name, "rows": []})
    for row in rows:
        offset = (localtime.to_local(row["starts_at"], zone).date() - first).days
        if 0 <= offset < localtime.WEEK_DAYS:
            days[offset]["rows"].append(row)
    return days
