"""Synthetic data for a new instance: people, cases and tasks over past and future dates.

How a newcomer tries casework and what the benchmark builds on. Everything is invented:
handles like ``vol-0001``, public places, generic instructions. Bulk inserts in one
transaction; the few demo passwords are hashed once and the hash reused.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import asdict, dataclass
from datetime import time, timedelta

from casework import config
from casework.rules import codes, localtime, passwords, totp
from casework.store.db import Connection, transaction

DAY = 86400
# scale: (cases, tasks, volunteers)
SCALES = {
    "small": (50, 250, 20),
    "medium": (10_000, 50_000, 200),
    "large": (100_000, 500_000, 2_000),
}
PLACES = (
    "Palais de justice de Montréal",
    "CISR, Complexe Guy-Favreau",
    "ASFC, bureau de Montréal",
    "CLSC Côte-des-Neiges",
    "Hôpital général, urgence",
    "École primaire du quartier",
    "Aide juridique, bureau central",
    "Banque alimentaire du quartier",
    "Centre de détention de Laval",
)
MEETING_POINTS = ("Main entrance", "Metro exit", "Café across the street", "Security desk")
INSTRUCTIONS = (
    "Arrive fifteen minutes early and wait at the meeting point.",
    "Bring the hearing notice. Sit in the public gallery.",
    "Stay until the end; a lawyer will join at the hearing.",
    "Interpretation may be needed for the whole visit.",
)
NOTES = ("All went well.", "Next step with the legal clinic.", "Hearing moved to later.")
DURATIONS = (60, 90, 120, 180, 240)
# The demo's week is a Montreal group's week (the default time zone).
ZONE = "America/Montreal"


@dataclass(frozen=True)
class DemoAccount:
    handle: str
    role: str
    password: str
    totp_secret: str | None  # base32, as an authenticator app takes it (coordinators only)


def demo_password() -> str:
    """A password for demo accounts: long, random, easy to copy."""
    return "demo-" + secrets.token_urlsafe(12)


def _people(scale: str, params: passwords.HashParams, now: int, rng: random.Random):
    volunteers = SCALES[scale][2]
    coordinators = max(3, volunteers // 20)  # at least three, each with a key slot
    secrets_by_role = {"coordinator": demo_password(), "volunteer": demo_password()}
    hashes = {role: passwords.hash_password(pw, params) for role, pw in secrets_by_role.items()}
    accounts, rows = [], []
    for role, count, prefix in (
        ("coordinator", coordinators, "coord"),
        ("volunteer", volunteers, "vol"),
    ):
        for number in range(1, count + 1):
            handle = f"{prefix}-{number:04d}"
            raw = totp.new_secret() if role == "coordinator" else None
            secret = totp.secret_to_base32(raw) if raw else None
            accounts.append(DemoAccount(handle, role, secrets_by_role[role], secret))
            spoken = rng.sample(config.SPOKEN_LANGUAGES[:8], rng.randint(1, 3))
            rows.append(
                (secrets.token_urlsafe(16), handle, role, hashes[role], ",".join(spoken), raw, now)
            )
    return accounts, rows


def _case_rows(count: int, now: int, rng: random.Random) -> list[tuple]:
    seen: set[str] = set()
    rows = []
    while len(rows) < count:
        code = codes.new_case_code()
        if code in seen:
            continue
        seen.add(code)
        opened = now - rng.randint(1, 150) * DAY
        closed = None
        # One case in seven is closed, every other one of them long ago: the purge has
        # work at every scale, the smallest included, whatever the draw.
        if len(rows) % 7 == 3:
            ago = rng.randint(31, 120) if len(rows) % 14 == 3 else rng.randint(1, 30)
            closed = now - ago * DAY
            opened = min(opened, closed - rng.randint(5, 120) * DAY)
        languages = ",".join(rng.sample(config.SPOKEN_LANGUAGES[:8], rng.randint(1, 2)))
        kinds = ",".join(rng.sample(config.TASK_KINDS, rng.randint(1, 3)))
        changed = closed or rng.randint(opened, now)
        state = "closed" if closed else "open"
        rows.append((code, state, languages, kinds, "", None, opened, closed, changed))
    return rows


def _start_and_end(now: int, kind: str, rng: random.Random, closed: int | None):
    """A weekday between 08:00 and 18:00 local time, hearings in the morning; before the
    day its case closed, if it did."""
    today = localtime.to_local(now, ZONE).date()
    last = 60
    if closed:
        last = min(last, (localtime.to_local(closed, ZONE).date() - today).days - 1)
    day = today + timedelta(days=rng.randint(min(-60, last - 30), last))
    day -= timedelta(days=max(0, day.weekday() - 4))  # a weekend's task moves to Friday
    minutes = rng.choice(DURATIONS)
    latest = (10 * 60 + 30) if kind == "hearing" else (18 * 60 - minutes)
    start = rng.randrange(8 * 60, latest + 1, 15)
    at = localtime.to_utc(day, time(start // 60, start % 60), ZONE)
    return at, at + minutes * 60


def _task(case_id: int, case_row: tuple, now: int, rng: random.Random) -> tuple:
    kind = rng.choice(config.TASK_KINDS)
    start, end = _start_and_end(now, kind, rng, case_row[7])
    needed = rng.randint(1, 3)
    outcome = note = debriefed = None
    if start < now:
        state = "done"
        # A debrief still to write: most are written within a day or two of the task.
        waiting = 0.5 if start > now - 3 * DAY else 0.05 if start > now - 14 * DAY else 0.0
        if rng.random() < waiting:
            state = "staffed"
        elif rng.random() < 0.7:
            outcome = rng.choices(("done", "follow_up", "postponed", "did_not_happen", "urgent"),
                                  (80, 8, 6, 4, 2))[0]  # fmt: skip
            note, debriefed = rng.choice(NOTES), min(now, end + DAY)
    else:
        state = "open"
    follow_up = int(outcome in ("follow_up", "postponed", "urgent") and start > now - 14 * DAY)
    return (
        secrets.token_urlsafe(16), case_id, kind, start, end,
        rng.choice(PLACES), rng.choice(MEETING_POINTS), needed, case_row[2],
        rng.choice(INSTRUCTIONS), int(rng.random() < 0.05), state, start - 7 * DAY,
        outcome, note, debriefed, follow_up,
    )  # fmt: skip


def _assign(tasks: list[tuple], volunteer_ids: list[int], now: int, rng: random.Random):
    assignments, staffed = [], []
    for task_id, row in enumerate(tasks, start=1):
        needed, start = row[7], row[3]
        taking = needed if start < now else rng.randint(0, needed)
        for user_id in rng.sample(volunteer_ids, min(taking, len(volunteer_ids))):
            assignments.append((task_id, user_id, row[12], None, start))
        if start >= now and taking == needed:
            staffed.append((task_id,))
    return assignments, staffed


def _notices(tasks: list[tuple], assignments: list[tuple], now: int, rng: random.Random):
    """Some upcoming tasks moved by an hour that the people going have not seen yet."""
    rows = []
    for task_id, user_id, *_ in assignments:
        task = tasks[task_id - 1]
        if task[3] > now and rng.random() < 0.02:  # a few: most people look within a day
            was = (task[3] + 3600, task[4] + 3600, task[5])
            changed = now - rng.randint(1, 48) * 3600
            rows.append((task_id, user_id, "time", *was, changed, task[3]))
    return rows


def fill(conn: Connection, scale: str, now: int, params: passwords.HashParams, seed=None):
    """Fill an empty store; return the demo accounts and the row counts."""
    rng = random.Random(seed)
    n_cases, n_tasks, _ = SCALES[scale]
    accounts, user_rows = _people(scale, params, now, rng)
    case_rows = _case_rows(n_cases, now, rng)
    with transaction(conn):
        conn.executemany(
            "INSERT INTO users (public_id, handle, role, password_hash, languages, totp_secret,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            user_rows,
        )
        volunteer_ids = [
            r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'volunteer'")
        ]
        conn.executemany(
            "INSERT INTO cases (id, code, state, languages, support_kinds, context_note,"
            " coordinator_id, opened_at, closed_at, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, *row) for i, row in enumerate(case_rows, start=1)],
        )
        task_rows = []
        for _ in range(n_tasks):
            case_id = rng.randint(1, n_cases)
            task_rows.append(_task(case_id, case_rows[case_id - 1], now, rng))
        conn.executemany(
            "INSERT INTO tasks (id, token, case_id, kind, starts_at, ends_at, place,"
            " meeting_point, people_needed, languages, instructions, urgent, state, created_at,"
            " outcome, debrief_note, debriefed_at, follow_up)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, *row) for i, row in enumerate(task_rows, start=1)],
        )
        assignments, staffed = _assign(task_rows, volunteer_ids, now, rng)
        conn.executemany(
            "INSERT INTO assignments (task_id, user_id, assigned_at, assigned_by, task_starts_at)"
            " VALUES (?, ?, ?, ?, ?)",
            assignments,
        )
        conn.executemany("UPDATE tasks SET state = 'staffed' WHERE id = ?", staffed)
        conn.executemany(
            "INSERT INTO change_notices (task_id, user_id, changes, was_starts_at, was_ends_at,"
            " was_place, changed_at, task_starts_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _notices(task_rows, assignments, now, rng),
        )
        # Creating a task or signing someone up touches its case (cases.touch): an open
        # case's last change is no older than its latest task created so far.
        conn.execute(
            "UPDATE cases SET changed_at = max(changed_at, coalesce((SELECT max(created_at)"
            " FROM tasks WHERE case_id = cases.id AND created_at <= ?), 0)) WHERE state = 'open'",
            (now,),
        )
        # Future tasks of closed cases were cancelled when the case closed.
        conn.execute(
            "UPDATE tasks SET state = 'cancelled' WHERE starts_at > ? AND case_id IN"
            " (SELECT id FROM cases WHERE state = 'closed')",
            (now,),
        )
    conn.execute("PRAGMA optimize")
    counts = {"cases": n_cases, "tasks": n_tasks, "assignments": len(assignments)}
    return accounts, {**counts, "people": len(user_rows)}


def as_dicts(accounts: list[DemoAccount]) -> list[dict]:
    return [asdict(account) for account in accounts]
