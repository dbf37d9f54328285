"""Who goes: sign-up while places remain (race-safe), withdrawal before the start,
assignment by coordinators, ranked suggestions of who could go, and what a person may do
on a task page (the same rules that refuse the POSTs)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.rules import availability
from casework.store import audit, cases, notices, tasks
from casework.store.db import Connection, Row, transaction

RECENT_DAYS = 30
# Withdrawing closer to the start than this asks for confirmation and shows on the board.
LATE_WITHDRAWAL = 48 * 3600
SUGGESTIONS = 8


class StaffingProblem(Exception):
    """Why a sign-up or withdrawal cannot happen: full, closed, started, already, absent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# One statement decides: the place is taken only if, at this instant inside the write
# lock, the task is open, upcoming, its case open and fewer people are assigned than needed.
_TAKE_PLACE = (
    "INSERT INTO assignments (task_id, user_id, assigned_at, assigned_by, task_starts_at)"
    " SELECT t.id, ?, ?, ?, t.starts_at FROM tasks t JOIN cases c ON c.id = t.case_id"
    " WHERE t.id = ? AND t.state = 'open' AND c.state = 'open' AND t.starts_at > ?"
    " AND (SELECT count(*) FROM assignments a WHERE a.task_id = t.id) < t.people_needed"
    " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.user_id = ?)"
)


_STAFFING_STATE = (
    "CASE WHEN (SELECT count(*) FROM assignments a WHERE a.task_id = tasks.id)"
    " >= tasks.people_needed THEN 'staffed' ELSE 'open' END"
)


def _refresh_state(conn: Connection, task_id: int) -> None:
    # open <-> staffed follows the number of people assigned; done/cancelled stay. Only a
    # real change is written: a no-op UPDATE would still rewrite the row and its indexes.
    conn.execute(
        f"UPDATE tasks SET state = {_STAFFING_STATE}"  # noqa: S608  (a constant)
        f" WHERE id = ? AND state IN ('open', 'staffed') AND state <> {_STAFFING_STATE}",
        (task_id,),
    )


def _why_not(conn: Connection, task_id: int, user_id: int, now: int) -> str:
    row = conn.execute(
        "SELECT t.state, t.starts_at, c.state AS case_state, t.people_needed,"
        " (SELECT count(*) FROM assignments a WHERE a.task_id = t.id) AS assigned,"
        " EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.user_id = ?) AS mine"
        " FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.id = ?",
        (user_id, task_id),
    ).fetchone()
    if row is None:
        return "closed"
    return sign_up_refusal(row, bool(row["mine"]), now) or "full"


def sign_up_refusal(task: Row, mine: bool, now: int) -> str | None:
    """Why taking a place on ``task`` is refused (closed, already, started, full), or None.

    The rule _TAKE_PLACE applies inside the write lock, read from a loaded task row.
    """
    if task["state"] in ("done", "cancelled") or task["case_state"] != "open":
        return "closed"
    if mine:
        return "already"
    if task["starts_at"] <= now:
        return "started"
    if task["state"] != "open" or task["assigned"] >= task["people_needed"]:
        return "full"
    return None


def withdrawal_refusal(task: Row, mine: bool, now: int) -> str | None:
    """Why leaving ``task`` is refused (absent, started), or None: the rule of leave()."""
    if not mine:
        return "absent"
    if task["starts_at"] <= now or task["state"] not in ("open", "staffed"):
        return "started"
    return None


def debrief_refusal(task, user, now: int) -> str | None:
    """Why ``user`` may not write the debrief of ``task`` (a tasks.TaskView), or None.

    "hidden": only the people who went and coordinators debrief (anyone else gets a 404);
    "not_yet": a debrief is written once the task has started, and never for a cancelled one.
    """
    if not task.full or not (task.mine or user.role == "coordinator"):
        return "hidden"
    if task["starts_at"] > now or task["state"] == "cancelled":
        return "not_yet"
    return None


@dataclass(frozen=True)
class TaskActions:
    """What the person looking at a task may do there: the page offers only these."""

    can_sign_up: bool
    can_withdraw: bool
    can_debrief: bool


def actions(task, user, now: int) -> TaskActions:
    """The actions open to ``user`` on ``task`` (a tasks.TaskView loaded for them) at ``now``."""
    return TaskActions(
        can_sign_up=sign_up_refusal(task.row, task.mine, now) is None,
        can_withdraw=withdrawal_refusal(task.row, task.mine, now) is None,
        can_debrief=debrief_refusal(task, user, now) is None,
    )


def take_place(conn: Connection, task: Row, user_id: int, now: int, actor_id: int) -> None:
    """Give ``user_id`` a place on the task, atomically; raise StaffingProblem otherwise."""
    with transaction(conn):
        cursor = conn.execute(_TAKE_PLACE, (user_id, now, actor_id, task["id"], now, user_id))
        if cursor.rowcount != 1:
            raise StaffingProblem(_why_not(conn, task["id"], user_id, now))
        _refresh_state(conn, task["id"])
        _tell(conn, task["id"], user_id, actor_id, "assigned", now)
        cases.touch(conn, task["case_id"], now)
        audit.record(conn, now, actor_id, "task.assigned", f"task:{task['id']} user:{user_id}")


def leave(conn: Connection, task: Row, user_id: int, now: int, actor_id: int) -> None:
    """Remove ``user_id`` from an upcoming task; raise StaffingProblem otherwise."""
    with transaction(conn):
        cursor = conn.execute(
            "DELETE FROM assignments WHERE user_id = ? AND task_id = ("
            " SELECT id FROM tasks WHERE id = ? AND starts_at > ?"
            " AND state IN ('open', 'staffed'))",
            (user_id, task["id"], now),
        )
        if cursor.rowcount != 1:
            still_there = conn.execute(
                "SELECT 1 FROM assignments WHERE user_id = ? AND task_id = ?",
                (user_id, task["id"]),
            ).fetchone()
            raise StaffingProblem("started" if still_there else "absent")
        _refresh_state(conn, task["id"])
        _tell(conn, task["id"], user_id, actor_id, "removed", now)
        if actor_id == user_id:  # the start as it is now, not as the caller last read it
            conn.execute(
                "UPDATE tasks SET late_withdrawal_at = ? WHERE id = ? AND starts_at < ?",
                (now, task["id"], now + LATE_WITHDRAWAL),
            )
        cases.touch(conn, task["case_id"], now)
        audit.record(conn, now, actor_id, "task.unassigned", f"task:{task['id']} user:{user_id}")


def _tell(conn: Connection, task_id: int, user_id: int, actor_id: int, kind: str, now: int):
    # A coordinator's change of who goes: a notice for the person concerned and for the
    # others going. Who signs up or withdraws themselves knows it: no notice for them.
    if actor_id == user_id:
        notices.forget(conn, task_id, user_id)
        return
    was = notices.before_change(conn, task_id)
    notices.tell(conn, task_id, [user_id], [kind], was, now)
    notices.tell_going(conn, task_id, ["people"], was, now, besides=(user_id, actor_id))


@dataclass(frozen=True)
class Suggestion:
    """A volunteer who could go, with the reasons that ranked them."""

    public_id: str
    handle: str
    speaks: bool
    available: bool | None  # None: availability not given
    busy: bool
    recent: int


def suggestions(conn: Connection, task: Row, now: int, zone: str) -> list[Suggestion]:
    """Volunteers ranked: free at that time, speaks a needed language, available, least busy.

    Three queries whatever the number of volunteers (no per-person query).
    """
    people = conn.execute(
        "SELECT u.id, u.public_id, u.handle, u.languages, u.availability FROM users u"
        " WHERE u.role = 'volunteer' AND u.active = 1 AND NOT EXISTS"
        " (SELECT 1 FROM assignments a WHERE a.task_id = ? AND a.user_id = u.id)",
        (task["id"],),
    ).fetchall()
    busy = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT a.user_id FROM tasks t JOIN assignments a ON a.task_id = t.id"
            " WHERE t.starts_at < ? AND t.starts_at > ? AND t.ends_at > ? AND t.id != ?"
            " AND t.state IN ('open', 'staffed')",
            # No task lasts longer than LONGEST: the lower bound keeps this an index range.
            (task["ends_at"], task["starts_at"] - tasks.LONGEST, task["starts_at"], task["id"]),
        )
    }
    recent = dict(
        conn.execute(
            "SELECT a.user_id, count(*) FROM tasks t JOIN assignments a ON a.task_id = t.id"
            " WHERE t.starts_at BETWEEN ? AND ? GROUP BY a.user_id",
            (now - RECENT_DAYS * 86400, now),
        ).fetchall()
    )
    needed = set(filter(None, (task["languages"] or "").split(",")))
    ranked = []
    for person in people:
        spoken = set(filter(None, person["languages"].split(",")))
        ranked.append(
            Suggestion(
                person["public_id"],
                person["handle"],
                speaks=not needed or bool(needed & spoken),
                available=availability.covers(
                    person["availability"], task["starts_at"], task["ends_at"], zone
                ),
                busy=person["id"] in busy,
                recent=recent.get(person["id"], 0),
            )
        )
    ranked.sort(key=lambda s: (s.busy, not s.speaks, s.available is False, s.recent, s.handle))
    return ranked[:SUGGESTIONS]


def volunteer_id(conn: Connection, public_id_or_handle: str) -> int | None:
    """The id of an active person by public id (suggestion buttons) or handle (typed)."""
    row = conn.execute(
        "SELECT id FROM users WHERE (public_id = ?1 OR handle = ?1) AND active = 1",
        (public_id_or_handle or "",),
    ).fetchone()
    return None if row is None else row[0]
