"""Change notices: when a coordinator changes a task someone is going to, each person
going sees what changed on their home page until they mark it seen.

One row per task and person: changes made before the person looks collapse into it (the
kinds of change are merged, the former time and place stay those the person last saw).
A notice holds no text of its own and shows only what its reader could already see; it
goes with its task (ON DELETE CASCADE) and has its own retention rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from casework.store import NotFound
from casework.store.db import Connection, Row, transaction

# In the order a notice lists them.
KINDS = (
    "cancelled",
    "removed",
    "assigned",
    "time",
    "place",
    "meeting_point",
    "instructions",
    "urgent",
    "people",
)
# Being assigned and being removed undo each other: the latest one is what is true.
_UNDOES = {"assigned": "removed", "removed": "assigned"}
# A board is read on a phone: at most this many tasks with unseen changes.
BOARD_LIMIT = 30
_WAS = "starts_at, ends_at, place, meeting_point, instructions, urgent"


def before_change(conn: Connection, task_id: int) -> Row | None:
    """The task's values that a notice compares (read inside the writer's transaction)."""
    return conn.execute(f"SELECT {_WAS} FROM tasks WHERE id = ?", (task_id,)).fetchone()  # noqa: S608


def changed_kinds(was: Row, now: Row) -> list[str]:
    """What an edit changed between two readings of before_change(), as notice kinds
    (cancelling is not an edit: tasks.cancel gives its own "cancelled" notice)."""
    found = []
    if (was["starts_at"], was["ends_at"]) != (now["starts_at"], now["ends_at"]):
        found.append("time")
    for kind in ("place", "meeting_point"):
        if was[kind] != now[kind]:
            found.append(kind)
    if (was["instructions"] or "") != (now["instructions"] or ""):
        found.append("instructions")
    if now["urgent"] and not was["urgent"]:
        found.append("urgent")
    return found


def merge(earlier: Iterable[str], later: Iterable[str]) -> str:
    """The kinds of an unseen notice and a new change, in KINDS order, as stored."""
    later = list(later)
    kept = {kind for kind in earlier if _UNDOES.get(kind) not in later} | set(later)
    return ",".join(kind for kind in KINDS if kind in kept)


def tell(conn: Connection, task_id: int, user_ids: Iterable[int], kinds, was: Row, now: int):
    """Give each of ``user_ids`` a notice of ``kinds`` on the task (was: before_change()).

    A person with an unseen notice keeps one: its kinds merge and its former values stay
    those they last saw. Joins the caller's transaction.
    """
    kinds = list(kinds)
    if not kinds:
        return
    with transaction(conn):
        for user_id in user_ids:
            row = conn.execute(
                "SELECT changes, seen_at FROM change_notices WHERE task_id = ? AND user_id = ?",
                (task_id, user_id),
            ).fetchone()
            if row is not None and row["seen_at"] is None:
                conn.execute(
                    "UPDATE change_notices SET changes = ?, changed_at = ?"
                    " WHERE task_id = ? AND user_id = ?",
                    (merge(row["changes"].split(","), kinds), now, task_id, user_id),
                )
                continue
            conn.execute(
                "INSERT OR REPLACE INTO change_notices (task_id, user_id, changes,"
                " was_starts_at, was_ends_at, was_place, changed_at, task_starts_at)"
                " SELECT ?, ?, ?, ?, ?, ?, ?, starts_at FROM tasks WHERE id = ?",
                (task_id, user_id, merge((), kinds), *_former(was), now, task_id),
            )


def follow_start(conn: Connection, task_id: int) -> None:
    """Keep the task's notices at its start (the board reads them in start order); call
    after any change of its time. Writes nothing when they already are."""
    conn.execute(
        "UPDATE change_notices SET task_starts_at = (SELECT starts_at FROM tasks WHERE id = ?1)"
        " WHERE task_id = ?1 AND task_starts_at IS NOT (SELECT starts_at FROM tasks WHERE id = ?1)",
        (task_id,),
    )


def _former(was: Row) -> tuple:
    return was["starts_at"], was["ends_at"], was["place"]


def tell_going(
    conn: Connection, task_id: int, kinds, was: Row, now: int, *, besides: Iterable[int] = ()
) -> None:
    """Give a notice to everyone going on the task but ``besides`` (who made the change)."""
    skip = set(besides)
    going = [
        row[0]
        for row in conn.execute("SELECT user_id FROM assignments WHERE task_id = ?", (task_id,))
        if row[0] not in skip
    ]
    tell(conn, task_id, going, kinds, was, now)


def forget(conn: Connection, task_id: int, user_id: int) -> None:
    """Drop a person's notice on a task (they signed up or withdrew themselves: they know)."""
    conn.execute("DELETE FROM change_notices WHERE task_id = ? AND user_id = ?", (task_id, user_id))


def unseen(conn: Connection, user_id: int, now: int) -> list[Row]:
    """A person's unseen notices on tasks not yet over, soonest first."""
    return conn.execute(
        "SELECT t.token, t.kind, t.starts_at, t.ends_at, t.place, t.meeting_point, t.state,"
        " n.changes, n.was_starts_at, n.was_ends_at, n.was_place, n.changed_at"
        " FROM change_notices n JOIN tasks t ON t.id = n.task_id"
        " WHERE n.user_id = ? AND n.seen_at IS NULL AND t.ends_at > ?"
        " ORDER BY t.starts_at",
        (user_id, now),
    ).fetchall()


def mark_seen(conn: Connection, token: str, user_id: int, now: int) -> None:
    """The person read their notice on the task. Raise NotFound when they have none there
    (another person's task, a random token, or a task purged meanwhile: its notice went
    with it); seeing it twice is no error."""
    with transaction(conn):
        found = conn.execute(
            "UPDATE change_notices SET seen_at = coalesce(seen_at, ?) WHERE user_id = ?"
            " AND task_id = (SELECT id FROM tasks WHERE token = ?)",
            (now, user_id, token or ""),
        ).rowcount
    if not found:
        raise NotFound


def on_task(conn: Connection, task_id: int) -> list[Row]:
    """Who has a notice on the task and whether they have seen it (the coordinator's page)."""
    return conn.execute(
        "SELECT u.handle, n.changes, n.changed_at, n.seen_at FROM change_notices n"
        " JOIN users u ON u.id = n.user_id WHERE n.task_id = ?"
        " ORDER BY n.seen_at IS NOT NULL, u.handle",
        (task_id,),
    ).fetchall()


def unseen_on_board(conn: Connection, now: int) -> list[Row]:
    """Upcoming tasks with a change someone going has not seen, soonest (so under 48 h)
    first, with how many people have not seen it."""
    return conn.execute(
        # The unseen notices in their tasks' start order (one partial index), counted task
        # by task as they come: the first thirty tasks end the read, however many more.
        "SELECT t.token, t.kind, t.starts_at, c.code AS case_code, s.unseen FROM"
        " (SELECT n.task_id, count(*) AS unseen FROM change_notices n"
        " WHERE n.seen_at IS NULL AND n.task_starts_at > ? AND EXISTS (SELECT 1"
        " FROM assignments a WHERE a.task_id = n.task_id AND a.user_id = n.user_id)"
        " GROUP BY n.task_starts_at, n.task_id ORDER BY n.task_starts_at, n.task_id"
        " LIMIT ?) s JOIN tasks t ON t.id = s.task_id JOIN cases c ON c.id = t.case_id"
        " ORDER BY t.starts_at, t.id",
        (now, BOARD_LIMIT),
    ).fetchall()
