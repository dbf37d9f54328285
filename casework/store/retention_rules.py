"""What the purge removes: one declarative rule per kind of row, with the period it keeps.

A rule is a kind, a count query, the statements that delete (or erase, or close) what the
count counts, and the settings its cutoffs come from. Every cutoff is ``now`` minus a
period, bound as a named parameter: a row is due when its age is at least its period
(``ts <= now - period``), so a clock set backwards only ever makes less due, and a row
stamped in the future is never due. A "day" is 86,400 seconds, whatever the time zone and
its daylight-saving changes: a period is never shortened by a 23-hour day.

The count and the statements share one predicate, and predicates of rules that could
overlap exclude each other, so a dry run counts exactly what a purge deletes.

Statements are templates over ``{where}``: the purge runs them in batches, each one a
short transaction over the next rows due in the order of the rule's table's ``key``
(``Rule.next_batch``, then ``Rule.batch_where``), so that a writer never waits long; a
row a batch deletes or changes no longer matches.

Rules whose tables do not exist yet (``requires``) are skipped: the case and task rules
are written against the schema described in the cases issue and wait for its migration;
the failed-login rule waits for the accounts migration.
"""

# ruff: noqa: S608  (every SQL string here is built from constants of this module, never input)
from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400


@dataclass(frozen=True)
class Period:
    """A cutoff bound as ``:param`` = now - settings[setting] * unit seconds."""

    param: str
    setting: str
    unit: int = DAY


@dataclass(frozen=True)
class Rule:
    kind: str
    count: str
    statements: tuple[str, ...]  # templates over {where}; the last one counts
    periods: tuple[Period, ...] = ()
    requires: tuple[str, ...] = ()
    # The case codes concerned, shown to coordinators on the upcoming-deletions page only.
    codes: str | None = None
    table: str = ""  # empty: the statements run once, unbatched
    where: str = ""
    key: str = "rowid"  # the column batches are ranges of (the primary key)

    @property
    def batch_where(self) -> str:
        """The rows of one batch, chosen by ``next_batch`` in the same transaction."""
        return f"{self.table}.{self.key} IN (SELECT value FROM json_each(:keys))"

    @property
    def next_batch(self) -> str:
        """The keys of at most ``:limit`` rows due after ``:after``, in key order."""
        # NOT INDEXED: walk the table in key order and stop at :limit; an index on the
        # predicate's column would make every batch read all that is due, then sort it.
        column = f"{self.table}.{self.key}"
        return (
            f"SELECT {column} FROM {self.table} NOT INDEXED"
            f" WHERE ({self.where}) AND {column} > :after ORDER BY {column} LIMIT :limit"
        )

    @property
    def first_key(self) -> int | str:
        # Below every rowid; below every non-empty text key.
        return -(2**63) if self.key == "rowid" else ""


def deleting(kind: str, table: str, where: str, *periods: Period, **extra) -> Rule:
    """A rule that deletes the rows of ``table`` matching ``where``.

    ``before`` statements (templates with ``{where}``) remove what references those rows.
    """
    return Rule(
        kind,
        f"SELECT count(*) FROM {table} WHERE {where}",
        (*extra.pop("before", ()), f"DELETE FROM {table} WHERE {{where}}"),
        periods,
        requires=extra.pop("requires", (table,)),
        table=table,
        where=where,
        **extra,
    )


def updating(kind: str, table: str, changes: str, where: str, *periods: Period, **extra) -> Rule:
    """A rule that changes (erases, deactivates, closes) the rows matching ``where``."""
    return Rule(
        kind,
        f"SELECT count(*) FROM {table} WHERE {where}",
        (*extra.pop("before", ()), f"UPDATE {table} SET {changes} WHERE {{where}}"),
        periods,
        requires=extra.pop("requires", (table,)),
        table=table,
        where=where,
        **extra,
    )


# Sessions expire as sessions.py sees them: strictly older than the idle or absolute limit.
SESSIONS = deleting(
    "sessions",
    "sessions",
    "seen_at < :idle OR created_at < :absolute",
    Period("idle", "sessions.idle_minutes", 60),
    Period("absolute", "sessions.absolute_hours", 3600),
    key="id_hash",  # a table without rowid
)
# Setup links, invites and resets go at once when used or expired.
INVITES = deleting(
    "invites", "invites", "(used_at IS NOT NULL AND used_at <= :now) OR expires_at <= :now"
)
FAILED_LOGINS = deleting(
    "failed_logins",
    "failed_signins",
    "at <= :cutoff",
    Period("cutoff", "retention.failed_login_days"),
)
AUDIT_EVENTS = deleting(
    "audit_events", "audit_events", "at <= :cutoff", Period("cutoff", "retention.audit_days")
)
_INACTIVE = "role = 'volunteer' AND active = 1 AND coalesce(last_seen_at, created_at) <= :cutoff"
# Deactivated, not deleted: the account is deleted deactivated_account_days later.
INACTIVE_VOLUNTEERS = updating(
    "inactive_volunteers",
    "users",
    "active = 0, deactivated_at = :now",
    _INACTIVE,
    Period("cutoff", "retention.inactive_volunteer_days"),
    before=("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE {where})",),
)
# Sessions and the person's own links go with the account (ON DELETE CASCADE).
DEACTIVATED_ACCOUNTS = deleting(
    "deactivated_accounts",
    "users",
    "active = 0 AND deactivated_at <= :cutoff",
    Period("cutoff", "retention.deactivated_account_days"),
)
PURGE_REPORTS = deleting(
    "purge_reports",
    "purge_reports",
    "started_at <= :cutoff",
    Period("cutoff", "retention.purge_report_days"),
)

# --- Cases and tasks (migration 0003) ----------------------------------------------------
_CASE_TABLES = ("cases", "tasks", "assignments")
_CLOSED = "state = 'closed' AND closed_at IS NOT NULL AND closed_at <= :closed"
# Last sign of life: the case's own last change (opening, editing, "keep open") or the
# start of its latest task.
_LAST_ACTIVITY = (
    "max(changed_at,"
    " coalesce((SELECT max(t.starts_at) FROM tasks t WHERE t.case_id = cases.id), 0))"
)


def dormant(param: str) -> str:
    """The one definition of a dormant case, a predicate on ``cases``: open, with no sign
    of life after ``:param`` (neither its own last change nor the start of any of its
    tasks, so a hearing booked months ahead keeps its case awake). The board flags with it,
    the upcoming-deletions page and the purge close with it. Written as a range of
    cases_by_state_change and one probe of tasks_by_case per case, never a full scan.
    """
    return (
        f"cases.state = 'open' AND cases.changed_at <= :{param} AND NOT EXISTS"
        f" (SELECT 1 FROM tasks t WHERE t.case_id = cases.id AND t.starts_at > :{param})"
    )


_DORMANT = dormant("dormant")
_CASE_CLOSED_DUE = f"tasks.case_id IN (SELECT id FROM cases WHERE {_CLOSED})"
_PAST = f"tasks.starts_at <= :past AND NOT {_CASE_CLOSED_DUE}"
_NOTES = (
    f"tasks.starts_at <= :notes AND NOT ({_PAST}) AND NOT {_CASE_CLOSED_DUE}"
    " AND (coalesce(instructions, '') <> '' OR coalesce(debrief_note, '') <> ''"
    " OR outcome IS NOT NULL OR follow_up = 1)"
)
CLOSED = Period("closed", "retention.closed_case_days")
PAST = Period("past", "retention.past_task_days")

# Auto-closed at dormant_close_days unless kept open (keeping open moves changed_at).
DORMANT_CASES = updating(
    "dormant_cases",
    "cases",
    "state = 'closed', closed_at = :now, changed_at = :now",
    _DORMANT,
    Period("dormant", "retention.dormant_close_days"),
    before=(
        "INSERT INTO audit_events (at, actor_id, action, target)"
        " SELECT :now, NULL, 'case.auto_closed', code FROM cases WHERE {where}",
    ),
    requires=_CASE_TABLES,
    codes=f"SELECT code FROM cases WHERE {_DORMANT}",
)
CLOSED_CASES = deleting(
    "closed_cases",
    "cases",
    _CLOSED,
    CLOSED,
    before=(
        "DELETE FROM assignments WHERE task_id IN (SELECT id FROM tasks WHERE case_id IN"
        " (SELECT id FROM cases WHERE {where}))",
        "DELETE FROM tasks WHERE case_id IN (SELECT id FROM cases WHERE {where})",
    ),
    requires=_CASE_TABLES,
    codes=f"SELECT code FROM cases WHERE {_CLOSED}",
)
PAST_TASKS = deleting(
    "past_tasks",
    "tasks",
    _PAST,
    PAST,
    CLOSED,
    before=("DELETE FROM assignments WHERE task_id IN (SELECT id FROM tasks WHERE {where})",),
    requires=_CASE_TABLES,
    codes=f"SELECT DISTINCT c.code FROM tasks JOIN cases c ON c.id = tasks.case_id WHERE {_PAST}",
)
TASK_NOTES = updating(
    "task_notes",
    "tasks",
    "instructions = NULL, debrief_note = NULL, outcome = NULL, follow_up = 0",
    _NOTES,
    Period("notes", "retention.debrief_days"),
    PAST,
    CLOSED,
    requires=_CASE_TABLES,
    codes=f"SELECT DISTINCT c.code FROM tasks JOIN cases c ON c.id = tasks.case_id WHERE {_NOTES}",
)

# --- Change notices (migration 0007) -----------------------------------------------------
# A notice is of use until its task is over, and never kept longer than a debrief: it
# goes debrief_days after the change, or when its task has ended, whichever comes first
# (and with its task, by ON DELETE CASCADE).
CHANGE_NOTICES = deleting(
    "change_notices",
    "change_notices",
    "changed_at <= :notices OR task_id IN (SELECT id FROM tasks WHERE ends_at <= :now)",
    Period("notices", "retention.debrief_days"),
    requires=("change_notices", "tasks"),
)

# Order matters only where one rule's effect feeds another (sessions before the people).
# Change notices come first: the task rules' deletions take notices with them uncounted,
# so counting the notices before anything else is deleted keeps a dry run exact.
RULES: tuple[Rule, ...] = (
    CHANGE_NOTICES,
    SESSIONS,
    INVITES,
    FAILED_LOGINS,
    DORMANT_CASES,
    CLOSED_CASES,
    PAST_TASKS,
    TASK_NOTES,
    INACTIVE_VOLUNTEERS,
    DEACTIVATED_ACCOUNTS,
    AUDIT_EVENTS,
    PURGE_REPORTS,
)
# Shown to coordinators as dormant (not a purge: the board lists them).
DORMANT_FLAG = (
    f"SELECT code, {_LAST_ACTIVITY} AS last_activity FROM cases WHERE {dormant('flag')}"
    " ORDER BY last_activity LIMIT :limit",
    Period("flag", "retention.dormant_flag_days"),
)
