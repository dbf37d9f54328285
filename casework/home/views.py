"""The home page (the role's own: needs-people board or volunteer home) and health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from casework.cases.forms import LookupForm
from casework.store import boards
from casework.web import alerts, context
from casework.web.context import get_db
from casework.web.gate import roles

bp = Blueprint("home", __name__)
OPEN_TASKS_SHOWN = 12
# The home is a phone page: the next few of one's own tasks; the week view has the rest.
MY_TASKS_SHOWN = 10


@bp.route("/")
@roles("coordinator", "volunteer")
def index():
    conn, now = get_db(), context.now()
    if current_user.is_coordinator:
        settings = current_app.config["CASEWORK"]
        flag_days = settings["retention.dormant_flag_days"]
        needs_people = boards.needs_people(conn, now)
        return render_template(
            "home/board.html",
            needs_people=needs_people,
            soon_from=_soon_from(needs_people, now + boards.URGENT_WINDOW),
            follow_ups=boards.follow_ups(conn),
            dormant=boards.dormant_cases(conn, now, flag_days),
            dormant_flag_days=flag_days,
            dormant_close_days=settings["retention.dormant_close_days"],
            lookup=LookupForm(),
            board_limit=boards.BOARD_LIMIT,
            alerts=alerts.for_coordinators(conn, now),
        )
    return render_template(
        "home/volunteer.html",
        mine=boards.my_next_tasks(conn, current_user.id, now, MY_TASKS_SHOWN),
        to_debrief=boards.awaiting_debrief(conn, current_user.id, now),
        could_take=boards.open_for(
            conn, current_user.id, now, current_user.languages, OPEN_TASKS_SHOWN
        ),
        urgent=boards.urgent_open_count(conn, now),
    )


def _soon_from(needs_people: list, soon: int) -> int:
    """How many of the board's tasks start before ``soon`` (they lead the list: the
    pressing ones are sorted by start), for the "In less than 48 hours" group."""
    for position, row in enumerate(needs_people):
        if row["starts_at"] >= soon:
            return position
    return len(needs_people)


@bp.route("/healthz")
def health():
    """Liveness for the operator and the benchmark's ceiling: reveals nothing, not even seal."""
    return {"ok": True}
