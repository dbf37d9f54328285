"""Each role's home page in one call: the lists it shows, read together, and kept by the
connection while neither the store nor the clock could change them (``_kept``)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.store import boards, notices
from casework.store.db import Connection, Row

# Tasks in two days a volunteer's home reads with their later ones in one go.
DAYS_AT_MOST = 10
# How many homes (and boards) a connection keeps while the store does not change.
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
    """Everything on the board at ``now``, kept like a volunteer's home (see ``_kept``)."""
    return _kept(
        conn, "boards", (user_id, dormant_flag_days), now,
        lambda: _read_board(conn, user_id, now, dormant_flag_days),
    )  # fmt: skip


def _read_board(
    conn: Connection, user_id: int, now: int, dormant_flag_days: int
) -> tuple[Board, int | None]:
    """The board read afresh, and until when time alone leaves it as it is (``_until``).

    Tasks leave the lists that need people, the unseen changes and the late withdrawals
    when they start, and the late withdrawals 48 hours after the withdrawal; a task comes
    into the under-48-hours group when its start is less than 48 hours away; a case comes
    into the dormant list ``dormant_flag_days`` after its last sign of life; a notice goes
    when its task ends. Follow-ups change only with the store.
    """
    window = boards.URGENT_WINDOW
    board_now = Board(
        needs_people=boards.needs_people(conn, now),
        unseen_changes=notices.unseen_on_board(conn, now),
        late_withdrawals=boards.late_withdrawals(conn, now),
        follow_ups=boards.follow_ups(conn),
        dormant=boards.dormant_cases(conn, now, dormant_flag_days),
        my_notices=notices.unseen(conn, user_id, now),
    )
    next_soon = boards.next_open_start_from(conn, now + window)
    times = [
        *(row["starts_at"] for row in board_now.needs_people),
        None if next_soon is None else next_soon - window + 1,
        *(row["starts_at"] for row in board_now.unseen_changes),
        *(row["starts_at"] for row in board_now.late_withdrawals),
        *(row["late_withdrawal_at"] + window for row in board_now.late_withdrawals),
        boards.dormant_from(conn, now, dormant_flag_days),
        *(row["ends_at"] for row in board_now.my_notices),
    ]
    return board_now, _until(times)


def volunteer_home(
    conn: Connection, user, now: int, days_end: int, shown: tuple[int, int]
) -> VolunteerHome:
    """A volunteer's home at ``now``; ``days_end``: the end of tomorrow (local time),
    ``shown``: how many of their later tasks and of the open ones to list.

    A connection keeps each person's home until the store changes (any commit, from any
    connection or process) or until ``now`` reaches the first moment at which time alone
    would change it (see ``_read_home``): a person who comes back to their home, or a phone
    that reloads it, costs no read while nothing it shows could differ.
    """
    return _kept(
        conn, "homes", (user.id, user.languages, days_end, shown), now,
        lambda: _read_home(conn, user, now, days_end, shown),
    )  # fmt: skip


def _kept(conn: Connection, name: str, key: tuple, now: int, read):
    """What ``read()`` gives (a value, and the time from which time alone could change it,
    or None), kept by the connection under ``name`` and ``key`` while the store's version
    is the one it was read at and ``now`` is between its reading and that time. The
    version is taken before reading: a commit during the read makes it old at once."""
    version = conn.version()
    kept = conn.kept.get(name)
    if kept is None or kept[0] != version:
        kept = conn.kept[name] = (version, {})
    values = kept[1]
    entry = values.get(key)
    if entry is not None:
        read_at, until, value = entry
        if read_at <= now and (until is None or now < until):
            return value
    value, until = read()
    if len(values) >= HOMES_KEPT:
        del values[next(iter(values))]  # the oldest read goes first
    values[key] = (now, until, value)
    return value


def _until(times: list[int | None]) -> int | None:
    return min((time for time in times if time is not None), default=None)


def _read_home(
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
    return home, _until(times)
