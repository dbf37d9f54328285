"""Each role's home page in one call: the lists it shows, read together."""

from __future__ import annotations

from dataclasses import dataclass

from casework.store import boards, notices
from casework.store.db import Connection, Row

# Tasks in two days a volunteer's home reads with their later ones in one go.
DAYS_AT_MOST = 10
# How many people's homes a connection keeps while the store does not change.
HOMES_KEPT = 256


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
    ``shown``: how many of their later tasks and of the open ones to list.

    A connection keeps each person's home until the store changes (any commit, from any
    connection or process) or until ``now`` reaches the first moment at which time alone
    would change it (see ``_read``): a person who comes back to their home, or a phone
    that reloads it, costs no read while nothing it shows could differ.
    """
    version = conn.version()
    kept = conn.kept.get("homes")
    if kept is None or kept[0] != version:
        kept = conn.kept["homes"] = (version, {})
    homes = kept[1]
    key = (user.id, user.languages, days_end, shown)
    entry = homes.get(key)
    if entry is not None:
        read_at, until, home = entry
        if read_at <= now and (until is None or now < until):
            return home
    home, until = _read(conn, user, now, days_end, shown)
    if len(homes) >= HOMES_KEPT:
        del homes[next(iter(homes))]  # the oldest read goes first
    homes[key] = (now, until, home)
    return home


def _read(
    conn: Connection, user, now: int, days_end: int, shown: tuple[int, int]
) -> tuple[VolunteerHome, int | None]:
    """The home read afresh, and until when time alone leaves it as it is (None: for ever).

    Each list's reads compare a time with ``now``, so each list stays as read until the
    first of its times is reached: one's tasks not over (their ends), the unseen notices
    (their tasks' ends), the debriefs to write (their starts plus DEBRIEF_DAYS, and the
    start of one's next task, which adds one), the open tasks (the next one's start) and
    the urgent count (the next urgent start). Rows left out by a list's limit come after
    the rows shown, so they can only come in once one of those goes.
    """
    # Today's and tomorrow's tasks are the first of one's upcoming ones: one read gives
    # both lists, read further only for someone going to more than DAYS_AT_MOST in two days.
    limit = shown[0] + DAYS_AT_MOST
    while True:
        upcoming = boards.my_next_tasks(conn, user.id, now, limit)
        later = [row for row in upcoming if row["starts_at"] >= days_end]
        if len(upcoming) < limit or len(later) >= shown[0]:
            break
        limit *= 2
    unseen = notices.unseen(conn, user.id, now)
    to_debrief = boards.awaiting_debrief(conn, user.id, now)
    urgent, next_urgent = boards.urgent_open(conn, now)
    home = VolunteerHome(
        notices=unseen,
        days=[row for row in upcoming if row["starts_at"] < days_end],
        mine=later[: shown[0]],
        to_debrief=to_debrief,
        could_take=boards.open_for(conn, user.id, now, user.languages, shown[1]),
        urgent=urgent,
    )
    times = [
        *(row["ends_at"] for row in upcoming),
        *(row["ends_at"] for row in unseen),
        *(row["starts_at"] + boards.DEBRIEF_DAYS * boards.DAY for row in to_debrief),
        boards.next_own_start(conn, user.id, now),
        boards.next_open_start(conn, now),
        next_urgent,
    ]
    return home, min((time for time in times if time is not None), default=None)
