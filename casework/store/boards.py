"""The read-only lists behind the home pages and the week view, one query each."""

from __future__ import annotations

import bisect
import operator

from casework.store import retention_rules, tasks
from casework.store.db import Connection, Row

URGENT_WINDOW = 48 * 3600
# A board is read on a phone: the most pressing 30 per list; the week view has the rest.
BOARD_LIMIT = 30
OPEN_TASK_SCAN = 150
# A week is a page for people, not a dump: far more than any group's week.
WEEK_LIMIT = 500
# A volunteer is asked for the debriefs of their tasks of the last two weeks.
DEBRIEF_DAYS = 14
DAY = 86400

_SUMMARY = (
    "t.token, t.kind, t.starts_at, t.ends_at, t.place, t.languages, t.people_needed,"
    " t.urgent, t.state, (SELECT count(*) FROM assignments a WHERE a.task_id = t.id) AS assigned"
)


def needs_people(conn: Connection, now: int) -> list[Row]:
    """Upcoming open tasks missing people: urgent or under 48 h first, then soonest.

    Three index ranges (urgent, next 48 h, soonest) merged here, so the database never
    sorts every open task; the soonest are read only when the pressing ones leave room.
    """
    base = (
        f"SELECT {_SUMMARY}, c.code AS case_code FROM tasks t"  # noqa: S608
        " JOIN cases c ON c.id = t.case_id WHERE t.state = 'open' AND c.state = 'open'"
    )
    limit = (BOARD_LIMIT,)
    urgent = conn.execute(
        base + " AND t.urgent = 1 AND t.starts_at > ? ORDER BY t.starts_at LIMIT ?", (now, *limit)
    ).fetchall()
    soon = conn.execute(
        base + " AND t.starts_at > ? AND t.starts_at < ? ORDER BY t.starts_at LIMIT ?",
        (now, now + URGENT_WINDOW, *limit),
    ).fetchall()
    pressing = sorted({r["token"]: r for r in (*urgent, *soon)}.values(), key=_start)
    if len(pressing) >= BOARD_LIMIT:
        return pressing[:BOARD_LIMIT]
    later = conn.execute(
        base + " AND t.starts_at > ? ORDER BY t.starts_at LIMIT ?", (now, *limit)
    ).fetchall()
    seen = {r["token"] for r in pressing}
    return [*pressing, *(r for r in later if r["token"] not in seen)][:BOARD_LIMIT]


def _start(row: Row) -> int:
    return row["starts_at"]


def follow_ups(conn: Connection) -> list[Row]:
    """Debriefs asking for action (follow-up, urgent, postponed), oldest first."""
    return conn.execute(
        "SELECT t.token, t.kind, t.starts_at, t.outcome, t.debriefed_at, c.code AS case_code"
        " FROM tasks t JOIN cases c ON c.id = t.case_id"
        " WHERE t.follow_up = 1 ORDER BY t.debriefed_at LIMIT ?",
        (BOARD_LIMIT,),
    ).fetchall()


def dormant_cases(conn: Connection, now: int, flag_days: int) -> list[Row]:
    """Open cases dormant for ``flag_days`` (retention_rules.dormant, the purge's own
    definition), quietest first, with their last sign of life."""
    statement, _period = retention_rules.DORMANT_FLAG
    return conn.execute(statement, {"flag": now - flag_days * DAY, "limit": BOARD_LIMIT}).fetchall()


def dormant_from(conn: Connection, now: int, flag_days: int) -> int | None:
    """No open case turns dormant (retention_rules.dormant) before this time (None: none
    can until the store changes). A case that is not dormant at ``now`` has a change or a
    task start after ``now - flag_days``, and is dormant only once ``flag_days`` have passed
    since the last of them: not before ``flag_days`` after the first such time of any case
    (two index probes, where the exact time would need every case)."""
    flag = now - flag_days * DAY
    changed = conn.execute(
        "SELECT min(changed_at) FROM cases WHERE state = 'open' AND changed_at > ?", (flag,)
    ).fetchone()[0]
    started = conn.execute(
        "SELECT min(starts_at) FROM tasks WHERE starts_at > ?", (flag,)
    ).fetchone()[0]
    firsts = [time for time in (changed, started) if time is not None]
    return min(firsts) + flag_days * DAY if firsts else None


def my_next_tasks(conn: Connection, user_id: int, now: int, limit: int = BOARD_LIMIT) -> list[Row]:
    """A person's tasks not over at ``now``, soonest first (at most ``limit``), with where
    to meet: they are going, they see it all."""
    # From the person's assignments in start order (one index range that stops at
    # ``limit``), beginning with those started within the longest a task lasts.
    return conn.execute(
        f"SELECT {_SUMMARY}, t.meeting_point FROM assignments m"  # noqa: S608
        " JOIN tasks t ON t.id = m.task_id"
        " WHERE m.user_id = ? AND m.task_starts_at > ? AND t.ends_at > ?"
        " AND t.state IN ('open', 'staffed') ORDER BY m.task_starts_at, m.task_id LIMIT ?",
        (user_id, now - tasks.LONGEST, now, limit),
    ).fetchall()


def late_withdrawals(conn: Connection, now: int) -> list[Row]:
    """Upcoming tasks someone withdrew from less than 48 hours before, still short of
    people: the board shows them until the place is taken again."""
    return conn.execute(
        f"SELECT {_SUMMARY}, c.code AS case_code, t.late_withdrawal_at FROM tasks t"  # noqa: S608
        # "+": not the state/start index (every open task), the late-withdrawal one (few).
        " JOIN cases c ON c.id = t.case_id WHERE +t.state = 'open' AND +t.starts_at > ?"
        " AND t.late_withdrawal_at > ? ORDER BY t.starts_at LIMIT ?",
        (now, now - URGENT_WINDOW, BOARD_LIMIT),
    ).fetchall()


def awaiting_debrief(
    conn: Connection, user_id: int, now: int, days: int = DEBRIEF_DAYS
) -> list[Row]:
    """A volunteer's past tasks of the last ``days`` with no debrief yet: what the card
    asking for the debrief shows (no count of who went: it is over)."""
    return conn.execute(
        # The person's assignments of those days only, from their index by start.
        "SELECT t.token, t.kind, t.starts_at FROM assignments m JOIN tasks t ON t.id = m.task_id"
        " WHERE m.user_id = ? AND m.task_starts_at <= ? AND m.task_starts_at > ?"
        " AND t.outcome IS NULL AND t.state IN ('open', 'staffed')"
        " ORDER BY m.task_starts_at DESC, m.task_id DESC LIMIT ?",
        (user_id, now, now - days * DAY, BOARD_LIMIT),
    ).fetchall()


def open_for(conn: Connection, user_id: int, now: int, languages: str, limit: int) -> list[Row]:
    """Open upcoming tasks a volunteer could take, ranked by language match.

    Among the next OPEN_TASK_SCAN open tasks of open cases that are not already the
    volunteer's: urgent first, then those needing a language the volunteer speaks (or
    none), then the rest; soonest first within each. Every home ranks the same next open
    tasks, so they are read once per change of the store (``_open_tasks``), as are the
    summaries shown (``_summaries``); each home only leaves out the person's own.
    """
    spoken = {code for code in (languages or "").split(",") if code}
    reach = OPEN_TASK_SCAN
    while True:
        span = _open_tasks(conn, now, reach)[:reach]
        if not span:
            return []
        # The person's own among them: their assignments over the span's hours only.
        mine = {
            row[0]
            for row in conn.execute(
                "SELECT task_id FROM assignments WHERE user_id = ?"
                " AND task_starts_at > ? AND task_starts_at <= ?",
                (user_id, now, span[-1][3]),
            )
        }
        window = [task for task in span if task[0] not in mine]
        if len(window) >= OPEN_TASK_SCAN or len(span) < reach:
            break  # enough that are not theirs, or every open task there is
        reach += OPEN_TASK_SCAN - len(window)

    # Ranked in one pass: the window is in start order, so each group (urgent or not,
    # then how well its languages fit) stays in start order, as the ranking wants.
    groups: tuple[list[int], ...] = ([], [], [], [], [], [])
    fits: dict[str, int] = {}
    for task_id, urgent, needed, _starts_at in window[:OPEN_TASK_SCAN]:
        fit = fits.get(needed)
        if fit is None:
            # 0: a language they speak, 1: none needed, 2: none they speak.
            fit = fits[needed] = (
                1 if not needed else 0 if spoken.intersection(needed.split(",")) else 2
            )
        groups[(0 if urgent else 3) + fit].append(task_id)
    chosen = [task_id for group in groups for task_id in group][:limit]
    return _summaries(conn, chosen)


def _summaries(conn: Connection, ids: list[int]) -> list[Row]:
    """The summaries (_SUMMARY) of the tasks ``ids``, in that order. The few the homes
    show are much the same for everyone: each is read once per change of the store."""
    version = conn.version()
    kept = conn.kept.get("summaries")
    if kept is None or kept[0] != version:
        kept = conn.kept["summaries"] = (version, {})
    known = kept[1]
    missing = [task_id for task_id in ids if task_id not in known]
    if missing:
        # Only "?" placeholders are formatted in: the ids are bound.
        marks = ", ".join(["?"] * len(missing))
        for row in conn.execute(
            f"SELECT t.id AS id, {_SUMMARY} FROM tasks t WHERE t.id IN ({marks})",  # noqa: S608
            missing,
        ):
            known[row[0]] = row
    return [known[task_id] for task_id in ids if task_id in known]


# How many of the next open tasks a connection keeps for the homes (read again when the
# store changes, or when time or one person's own tasks use up what is kept).
OPEN_TASKS_KEPT = 4 * OPEN_TASK_SCAN


def _open_tasks(conn: Connection, now: int, needed: int) -> list[tuple[int, int, str, int]]:
    """(id, urgent, languages, starts_at) of the open tasks of open cases starting after
    ``now``, soonest first: at least ``needed`` of them, or all there are."""
    version = conn.version()
    kept = conn.kept.get("open_tasks")
    if kept is not None:
        read_version, read_at, rows, every_one = kept
        if read_version == version and read_at <= now:
            first = bisect.bisect_right(rows, now, key=operator.itemgetter(3))
            if every_one or len(rows) - first >= needed:
                return rows[first:]
    read = max(needed, OPEN_TASKS_KEPT)
    rows = [
        tuple(row)
        for row in conn.execute(
            "SELECT t.id, t.urgent, t.languages, t.starts_at FROM tasks t"
            " JOIN cases c ON c.id = t.case_id"
            " WHERE t.state = 'open' AND t.starts_at > ? AND c.state = 'open'"
            " ORDER BY t.starts_at, t.id LIMIT ?",
            (now, read),
        )
    ]
    conn.kept["open_tasks"] = (version, now, rows, len(rows) < read)
    return rows


def next_open_start(conn: Connection, now: int) -> int | None:
    """When the next open task of an open case starts (None: there is none ahead). Until
    then, time alone changes no home's list of open tasks: it only loses tasks that start."""
    rows = _open_tasks(conn, now, 1)
    return rows[0][3] if rows else None


def next_open_start_from(conn: Connection, when: int) -> int | None:
    """The first start at or after ``when`` of an open task (of any case: None if none)."""
    return conn.execute(
        "SELECT min(starts_at) FROM tasks WHERE state = 'open' AND starts_at >= ?", (when,)
    ).fetchone()[0]


def next_own_start(conn: Connection, user_id: int, now: int) -> int | None:
    """When the person's next task starts after ``now`` (None: none ahead), whatever its
    state: one entry of the index of their assignments by start."""
    return conn.execute(
        "SELECT min(task_starts_at) FROM assignments WHERE user_id = ? AND task_starts_at > ?",
        (user_id, now),
    ).fetchone()[0]


def urgent_open_count(conn: Connection, now: int) -> int:
    """How many upcoming urgent tasks still need people (the volunteers' banner)."""
    return urgent_open(conn, now)[0]


def urgent_open(conn: Connection, now: int) -> tuple[int, int | None]:
    """How many upcoming urgent tasks still need people, and when the next of them starts
    (None: none ahead): the count stays true until then, or until the store changes.

    No join with cases: closing a case cancels its upcoming tasks, and a case only turns
    dormant with no task ahead, so an open upcoming task always belongs to an open case.
    The count is one range of the tasks_urgent index, read with the next such task's start.
    """
    version = conn.version()
    kept = conn.kept.get("urgent")
    if kept is not None:
        read_version, read_at, count, until = kept
        if read_version == version and read_at <= now and (until is None or now < until):
            return count, until
    count, until = conn.execute(
        "SELECT count(*), min(starts_at) FROM tasks"
        " WHERE state = 'open' AND urgent = 1 AND starts_at > ?",
        (now,),
    ).fetchone()
    conn.kept["urgent"] = (version, now, count, until)
    return count, until


def week(conn: Connection, start: int, end: int, user_id: int | None) -> list[Row]:
    """Tasks starting in [start, end): everyone's (user_id None) or one person's."""
    if user_id is None:
        return conn.execute(
            f"SELECT {_SUMMARY}, c.code AS case_code FROM tasks t"  # noqa: S608
            " JOIN cases c ON c.id = t.case_id"
            " WHERE t.starts_at >= ? AND t.starts_at < ? ORDER BY t.starts_at LIMIT ?",
            (start, end, WEEK_LIMIT),
        ).fetchall()
    return conn.execute(
        f"SELECT {_SUMMARY}, NULL AS case_code FROM assignments m"  # noqa: S608
        " JOIN tasks t ON t.id = m.task_id"
        " WHERE m.user_id = ? AND m.task_starts_at >= ? AND m.task_starts_at < ?"
        " ORDER BY m.task_starts_at, m.task_id",
        (user_id, start, end),
    ).fetchall()
