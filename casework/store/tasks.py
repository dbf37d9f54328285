"""Accompaniment tasks: created on a case, seen in full by coordinators and the people
assigned, as a summary by other volunteers while open, cancelled, debriefed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from casework.store import NotFound, audit, cases, notices
from casework.store.db import Connection, Row, transaction

OUTCOMES = ("done", "postponed", "did_not_happen", "follow_up", "urgent")
# Outcomes a coordinator must act on: they stay on the board until handled.
FOLLOW_UP_OUTCOMES = frozenset({"postponed", "follow_up", "urgent"})

TASK_COLUMNS = (
    "t.id, t.token, t.case_id, t.kind, t.starts_at, t.ends_at, t.place, t.meeting_point,"
    " t.people_needed, t.languages, t.instructions, t.urgent, t.state, t.outcome,"
    " t.debrief_note, t.debriefed_at, t.follow_up, c.code AS case_code, c.state AS case_state,"
    " (SELECT count(*) FROM assignments a WHERE a.task_id = t.id) AS assigned"
)


# No task lasts longer (the form offers at most 8 hours): a person's tasks not over at a
# time are among those that started less than this before it (boards.my_next_tasks).
LONGEST = 24 * 3600


@dataclass(frozen=True)
class TaskDetails:
    """What a coordinator writes about a task (validated by the form)."""

    kind: str
    starts_at: int
    ends_at: int
    place: str
    meeting_point: str
    people_needed: int
    languages: list[str]
    instructions: str
    urgent: bool

    def __post_init__(self) -> None:
        if not 0 < self.ends_at - self.starts_at <= LONGEST:
            raise ValueError("a task ends after it starts, within a day")


@dataclass(frozen=True)
class TaskView:
    """A task as one person may see it: ``full`` details or only the summary."""

    row: Row
    full: bool
    mine: bool

    def __getitem__(self, key: str):
        return self.row[key]

    @property
    def places_left(self) -> int:
        return max(0, self.row["people_needed"] - self.row["assigned"])


def _detail_values(details: TaskDetails) -> tuple:
    """The columns kind … urgent, in the order the statements below name them."""
    return (
        details.kind,
        details.starts_at,
        details.ends_at,
        details.place,
        details.meeting_point,
        details.people_needed,
        ",".join(details.languages),
        details.instructions,
        int(details.urgent),
    )


def create(conn: Connection, case: Row, details: TaskDetails, now: int, actor_id: int) -> str:
    """Add a task to an open case and return its random token."""
    token = secrets.token_urlsafe(16)
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO tasks (token, case_id, kind, starts_at, ends_at, place, meeting_point,"
            " people_needed, languages, instructions, urgent, created_by, created_at)"
            " SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM cases"
            " WHERE id = ? AND state = 'open'",
            (token, *_detail_values(details), actor_id, now, case["id"]),
        )
        if cursor.rowcount != 1:
            raise NotFound  # the case was closed meanwhile
        cases.touch(conn, case["id"], now)
        audit.record(conn, now, actor_id, "task.created", f"{case['code']} task:{cursor.lastrowid}")
    return token


def by_token(conn: Connection, token: str) -> Row | None:
    return conn.execute(
        f"SELECT {TASK_COLUMNS} FROM tasks t JOIN cases c ON c.id = t.case_id"  # noqa: S608
        " WHERE t.token = ?",
        (token,),
    ).fetchone()


def is_assigned(conn: Connection, task_id: int, user_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM assignments WHERE task_id = ? AND user_id = ?", (task_id, user_id)
    ).fetchone()
    return row is not None


def load_or_404(
    conn: Connection, token: str, user, now: int, *, signing_up: bool = False
) -> TaskView:
    """The access rule for tasks, in one place.

    Coordinators see every task in full. A volunteer sees a task in full only when
    assigned to it, a summary while it is open to sign up (upcoming, case open), and
    otherwise nothing: 404, the same answer as for a token that does not exist.
    ``signing_up``: a sign-up that lost the race for the last place still reaches the
    task (as a summary), so that the person is told it is full rather than "not found".
    """
    if user is None or not user.is_authenticated or len(token) > 64:
        raise NotFound
    row = by_token(conn, token)
    if row is None:
        raise NotFound
    if user.role == "coordinator":
        return TaskView(row, full=True, mine=is_assigned(conn, row["id"], user.id))
    if is_assigned(conn, row["id"], user.id):
        return TaskView(row, full=True, mine=True)
    open_states = ("open", "staffed") if signing_up else ("open",)
    if row["state"] in open_states and row["case_state"] == "open" and row["starts_at"] > now:
        return TaskView(row, full=False, mine=False)
    raise NotFound


def assignees(conn: Connection, task_id: int) -> list[Row]:
    """Who goes, by handle."""
    return conn.execute(
        "SELECT u.public_id, u.handle FROM assignments a JOIN users u ON u.id = a.user_id"
        " WHERE a.task_id = ? ORDER BY a.assigned_at, u.handle",
        (task_id,),
    ).fetchall()


class TooFewPlaces(Exception):
    """More people are already going than the edit asks for."""

    def __init__(self, assigned: int) -> None:
        super().__init__(assigned)
        self.assigned = assigned


def update(conn: Connection, task: Row, details: TaskDetails, now: int, actor_id: int) -> bool:
    """Change an upcoming open or staffed task; False when it started or ended meanwhile.

    The state follows the new number of people needed (open while places remain), and
    never drops below the people already going.
    """
    with transaction(conn):
        assigned = conn.execute(
            "SELECT count(*) FROM assignments WHERE task_id = ?", (task["id"],)
        ).fetchone()[0]
        if details.people_needed < assigned:
            raise TooFewPlaces(assigned)
        was = notices.before_change(conn, task["id"])
        done = conn.execute(
            "UPDATE tasks SET kind = ?, starts_at = ?, ends_at = ?, place = ?, meeting_point = ?,"
            " people_needed = ?, languages = ?, instructions = ?, urgent = ?,"
            " state = CASE WHEN ? >= ? THEN 'staffed' ELSE 'open' END"
            " WHERE id = ? AND state IN ('open', 'staffed') AND starts_at > ?",
            (*_detail_values(details), assigned, details.people_needed, task["id"], now),
        ).rowcount
        if done:
            changed = notices.changed_kinds(was, notices.before_change(conn, task["id"]))
            notices.tell_going(conn, task["id"], changed, was, now, besides=(actor_id,))
            notices.follow_start(conn, task["id"])
            cases.touch(conn, task["case_id"], now)
            audit.record(conn, now, actor_id, "task.updated", f"task:{task['id']}")
    return bool(done)


def cancel(conn: Connection, task: Row, now: int, actor_id: int) -> bool:
    """Cancel an open or staffed task; False when it is already done or cancelled."""
    with transaction(conn):
        was = notices.before_change(conn, task["id"])
        done = conn.execute(
            "UPDATE tasks SET state = 'cancelled' WHERE id = ? AND state IN ('open', 'staffed')",
            (task["id"],),
        ).rowcount
        if done:
            notices.tell_going(conn, task["id"], ["cancelled"], was, now, besides=(actor_id,))
            cases.touch(conn, task["case_id"], now)
            audit.record(conn, now, actor_id, "task.cancelled", f"task:{task['id']}")
    return bool(done)


def debrief(conn: Connection, task: Row, outcome: str, note: str, now: int, actor_id: int) -> None:
    """Record what happened; outcomes needing action go to the board as follow-ups."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    with transaction(conn):
        conn.execute(
            "UPDATE tasks SET outcome = ?, debrief_note = ?, debriefed_at = ?, debriefed_by = ?,"
            " follow_up = ?, state = CASE WHEN state = 'cancelled' THEN state ELSE 'done' END"
            " WHERE id = ?",
            (outcome, note, now, actor_id, int(outcome in FOLLOW_UP_OUTCOMES), task["id"]),
        )
        cases.touch(conn, task["case_id"], now)
        audit.record(conn, now, actor_id, "task.debriefed", f"task:{task['id']}")


def follow_up_handled(conn: Connection, task: Row, now: int, actor_id: int) -> None:
    """A coordinator dealt with a follow-up: it leaves the board."""
    with transaction(conn):
        conn.execute("UPDATE tasks SET follow_up = 0 WHERE id = ?", (task["id"],))
        audit.record(conn, now, actor_id, "task.follow_up_handled", f"task:{task['id']}")
