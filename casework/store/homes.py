"""Each role's home page in one call: the lists it shows, read together."""

from __future__ import annotations

from dataclasses import dataclass

from casework.store import boards, notices
from casework.store.db import Connection, Row

# Tasks in two days a volunteer's home reads with their later ones in one go.
DAYS_AT_MOST = 10


@dataclass(frozen=True)
class Board:
    """The coordinators' needs-people board, section by section."""

    needs_people: list[Row]
    unseen_changes: list[Row]
    late_withdrawals: list[Row]
    follow_ups: list[Row]
    dormant: list[Row]
    my_notices: list[Row]  # a coordinator may be going too


@dataclass(frozen=True)
class VolunteerHome:
    """A volunteer's home: what changed, today and tomorrow, then the rest."""

    notices: list[Row]
    days: list[Row]  # their tasks of today and tomorrow, with the meeting point
    mine: list[Row]  # their later tasks
    to_debrief: list[Row]
    could_take: list[Row]
    urgent: int


def board(conn: Connection, user_id: int, now: int, dormant_flag_days: int) -> Board:
    """Everything on the board at ``now``."""
    return Board(
        needs_people=boards.needs_people(conn, now),
        unseen_changes=notices.unseen_on_board(conn, now),
        late_withdrawals=boards.late_withdrawals(conn, now),
        follow_ups=boards.follow_ups(conn),
        dormant=boards.dormant_cases(conn, now, dormant_flag_days),
        my_notices=notices.unseen(conn, user_id, now),
    )


def volunteer_home(
    conn: Connection, user, now: int, days_end: int, shown: tuple[int, int]
) -> VolunteerHome:
    """A volunteer's home at ``now``; ``days_end``: the end of tomorrow (local time),
    ``shown``: how many of their later tasks and of the open ones to list."""
    # Today's and tomorrow's tasks are the first of one's upcoming ones: one read gives
    # both lists, read further only for someone going to more than DAYS_AT_MOST in two days.
    limit = shown[0] + DAYS_AT_MOST
    while True:
        upcoming = boards.my_next_tasks(conn, user.id, now, limit)
        later = [row for row in upcoming if row["starts_at"] >= days_end]
        if len(upcoming) < limit or len(later) >= shown[0]:
            break
        limit *= 2
    return VolunteerHome(
        notices=notices.unseen(conn, user.id, now),
        days=[row for row in upcoming if row["starts_at"] < days_end],
        mine=later[: shown[0]],
        to_debrief=boards.awaiting_debrief(conn, user.id, now),
        could_take=boards.open_for(conn, user.id, now, user.languages, shown[1]),
        urgent=boards.urgent_open_count(conn, now),
    )
