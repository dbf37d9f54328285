"""The home page (the role's own: needs-people board or volunteer home), change notices
marked seen, and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from casework.cases.forms import LookupForm
from casework.rules import localtime
from casework.store import boards, homes, notices
from casework.web import alerts, cards, context, errors, parts
from casework.web.context import get_db
from casework.web.forms import ConfirmForm
from casework.web.gate import roles

bp = Blueprint("home", __name__)
OPEN_TASKS_SHOWN = 12
# The home is a phone page: the next few of one's own tasks; the week view has the rest.
MY_TASKS_SHOWN = 10
# The board on a phone: each section shows its first few, the rest behind "Show all".
BOARD_FIRST = 5
# Debriefs to write on the home: the first few, the rest behind "Show all".
DEBRIEFS_FIRST = 3


@bp.route("/")
@roles("coordinator", "volunteer")
def index():
    conn, now = get_db(), context.now()
    settings = current_app.config["CASEWORK"]
    user = current_user._get_current_object()  # once, not through the proxy each time
    if user.is_coordinator:
        return _board(conn, user, now, settings)
    zone = settings["timezone"]
    today = localtime.to_local(now, zone).date()
    days_end = localtime.day_bounds(today, 2, zone)[1]
    home = homes.volunteer_home(conn, user, now, days_end, (MY_TASKS_SHOWN, OPEN_TASKS_SHOWN))
    tomorrow = localtime.day_bounds(today, 1, zone)[1]
    # Everything the content shows, as it shows it: when none of it changed since this
    # person's last visit, its rendering is reused (casework.web.parts).
    shown = (
        user.handle,
        tomorrow,
        DEBRIEFS_FIRST,
        home.urgent,
        cards.values("notice", home.notices),
        cards.values("day", home.days, today_before=tomorrow),
        cards.values("task", home.mine),
        cards.values("debrief", home.to_debrief),
        cards.values("task", home.could_take),
    )
    content = parts.kept(
        "home/volunteer_content.html",
        shown,
        handle=user.handle,
        home=home,
        tomorrow=tomorrow,
        debriefs_first=DEBRIEFS_FIRST,
    )
    return render_template("home/volunteer.html", content=content)


# The board's values that its key holds otherwise than as given (see _board).
NOT_AS_GIVEN = ("board", "alerts", "soon_before")


def _board(conn, user, now: int, settings: dict):
    """The coordinators' needs-people board, its content kept rendered like the volunteer
    home's while nothing it shows changes."""
    flag_days = settings["retention.dormant_flag_days"]
    board = homes.board(conn, user.id, now, flag_days)
    soon_before = now + boards.URGENT_WINDOW
    values = {
        "handle": user.handle,
        "board": board,
        "soon_from": _soon_from(board.needs_people, soon_before),
        "dormant_flag_days": flag_days,
        "dormant_close_days": settings["retention.dormant_close_days"],
        "alerts": alerts.for_coordinators(conn, now),
        "disk_full_recently": errors.disk_alarm(current_app).recent(now),
        "board_limit": boards.BOARD_LIMIT,
        "first": BOARD_FIRST,
        "soon_before": soon_before,
    }
    # Everything the content shows, as it shows it (the case lookup form is the same
    # empty form on every board: only the reader's language changes it). soon_before
    # moves every second: what it decides is in the cards' values (their "soon").
    shown = (
        *(value for name, value in values.items() if name not in NOT_AS_GIVEN),
        tuple(values["alerts"].items()),
        cards.values("notice", board.my_notices),
        cards.values("task_with_code", board.needs_people),
        cards.values("unseen_change", board.unseen_changes, soon_before=soon_before),
        cards.values("late_withdrawal", board.late_withdrawals, soon_before=soon_before),
        cards.values("follow_up", board.follow_ups),
        cards.values("dormant", board.dormant),
    )
    content = parts.kept("home/board_content.html", shown, lookup=LookupForm(), **values)
    return render_template("home/board.html", content=content)


def _soon_from(needs_people: list, soon: int) -> int:
    """How many of the board's tasks start before ``soon`` (they lead the list: the
    pressing ones are sorted by start), for the "In less than 48 hours" group."""
    for position, row in enumerate(needs_people):
        if row["starts_at"] >= soon:
            return position
    return len(needs_people)


@bp.route("/notices/<token>/seen", methods=["POST"])
@roles("coordinator", "volunteer")
def seen(token: str):
    """The reader has seen what changed on a task: the notice leaves their home (404 when
    they have no notice there, as for any object that is not theirs)."""
    if ConfirmForm().validate_on_submit():
        notices.mark_seen(get_db(), token, current_user.id, context.now())
    return redirect(url_for("home.index"))


@bp.route("/healthz")
def health():
    """Liveness for the operator and the benchmark's ceiling: reveals nothing, not even seal."""
    return {"ok": True}
