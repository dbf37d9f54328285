"""Cases: a pseudonymous code, languages and kinds of support, a short note, who is
responsible; opened, closed, reopened until the purge erases them."""

from __future__ import annotations

from dataclasses import dataclass

from casework.rules import codes
from casework.store import NotFound, audit
from casework.store.db import Connection, IntegrityError, Row, transaction

CASE_COLUMNS = (
    "c.id, c.code, c.state, c.languages, c.support_kinds, c.context_note, c.coordinator_id,"
    " c.opened_at, c.closed_at, c.changed_at, u.handle AS coordinator"
)


@dataclass(frozen=True)
class CaseDetails:
    """What a coordinator writes about a case (validated by the form)."""

    languages: list[str]
    support_kinds: list[str]
    context_note: str
    coordinator_id: int | None


class LookupProblem(Exception):
    """A typed code that reaches no case: ``typo`` (check symbol fails) or ``unknown``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# How stale changed_at may be (dormancy is counted in days, and shown as a day).
TOUCH_RESOLUTION = 3600


def open_case(conn: Connection, details: CaseDetails, now: int, actor_id: int) -> str:
    """Open a case under a new random code and return the code."""
    for _attempt in range(5):
        code = codes.new_case_code()
        try:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO cases (code, languages, support_kinds, context_note,"
                    " coordinator_id, opened_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (code, *_detail_values(details), now, now),
                )
                audit.record(conn, now, actor_id, "case.opened", code)
        except IntegrityError as exc:
            if "cases.code" not in str(exc):
                raise
            continue  # 44 random bits: a collision is rare, try another code
        return code
    raise RuntimeError("could not find a free case code")


def _detail_values(details: CaseDetails) -> tuple:
    return (
        ",".join(details.languages),
        ",".join(details.support_kinds),
        details.context_note,
        details.coordinator_id,
    )


def update(conn: Connection, case_id: int, details: CaseDetails, now: int) -> None:
    """Change what is written about a case."""
    with transaction(conn):
        conn.execute(
            "UPDATE cases SET languages = ?, support_kinds = ?, context_note = ?,"
            " coordinator_id = ?, changed_at = ? WHERE id = ?",
            (*_detail_values(details), now, case_id),
        )


def by_code(conn: Connection, code: str) -> Row | None:
    """The case with this canonical code (any state), or None."""
    return conn.execute(
        f"SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN users u ON u.id = c.coordinator_id"  # noqa: S608
        " WHERE c.code = ?",
        (code,),
    ).fetchone()


def find(conn: Connection, typed: str) -> Row:
    """The case for a code as typed; raise LookupProblem with why there is none."""
    code = codes.normalise_case_code(typed or "")
    if code is None:
        raise LookupProblem("typo")
    row = by_code(conn, code)
    if row is None:
        raise LookupProblem("unknown")
    return row


def load_or_404(conn: Connection, typed: str, user) -> Row:
    """The access rule for case pages: coordinators only, volunteers never (404)."""
    if user is None or not user.is_authenticated or user.role != "coordinator":
        raise NotFound
    try:
        return find(conn, typed)
    except LookupProblem:
        raise NotFound from None


def close(conn: Connection, case: Row, now: int, actor_id: int) -> bool:
    """Close an open case; its open tasks are cancelled. False when already closed."""
    with transaction(conn):
        done = conn.execute(
            "UPDATE cases SET state = 'closed', closed_at = ?, changed_at = ?"
            " WHERE id = ? AND state = 'open'",
            (now, now, case["id"]),
        ).rowcount
        if done:
            conn.execute(
                "UPDATE tasks SET state = 'cancelled' WHERE case_id = ?"
                " AND state IN ('open', 'staffed') AND starts_at > ?",
                (case["id"], now),
            )
            audit.record(conn, now, actor_id, "case.closed", case["code"])
    return bool(done)


def reopen(conn: Connection, case: Row, now: int, actor_id: int) -> bool:
    """Reopen a closed case that the purge has not erased yet."""
    with transaction(conn):
        done = conn.execute(
            "UPDATE cases SET state = 'open', closed_at = NULL, changed_at = ?"
            " WHERE id = ? AND state = 'closed'",
            (now, case["id"]),
        ).rowcount
        if done:
            audit.record(conn, now, actor_id, "case.reopened", case["code"])
    return bool(done)


def keep_open(conn: Connection, case: Row, now: int, actor_id: int) -> bool:
    """A coordinator keeps a dormant case open: its dormancy count starts again."""
    with transaction(conn):
        done = conn.execute(
            "UPDATE cases SET changed_at = ? WHERE id = ? AND state = 'open'", (now, case["id"])
        ).rowcount
        if done:
            audit.record(conn, now, actor_id, "case.kept_open", case["code"])
    return bool(done)


def touch(conn: Connection, case_id: int, now: int) -> None:
    """Something happened on the case: it is not dormant.

    Dormancy counts days, so a case touched in the last TOUCH_RESOLUTION seconds is left
    as it is: adding three tasks in a row rewrites (and re-encrypts) its pages once.
    """
    conn.execute(
        "UPDATE cases SET changed_at = ? WHERE id = ? AND changed_at < ?",
        (now, case_id, now - TOUCH_RESOLUTION),
    )


def tasks_of(conn: Connection, case_id: int) -> list[Row]:
    """A case's tasks in time order, with how many people are assigned."""
    return conn.execute(
        "SELECT t.token, t.kind, t.starts_at, t.ends_at, t.people_needed, t.state, t.urgent,"
        " t.outcome, (SELECT count(*) FROM assignments a WHERE a.task_id = t.id) AS assigned"
        " FROM tasks t WHERE t.case_id = ? ORDER BY t.starts_at",
        (case_id,),
    ).fetchall()


def coordinators(conn: Connection) -> list[Row]:
    """Active coordinators, for the "responsible" choice."""
    return conn.execute(
        "SELECT id, handle FROM users WHERE role = 'coordinator' AND active = 1 ORDER BY handle"
    ).fetchall()
