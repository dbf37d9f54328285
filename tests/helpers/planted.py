"""Rows planted straight into the store at chosen times, for the retention tests and bench."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import zoneinfo

from casework.store.db import transaction
from helpers.accounts import insert_user

MONTREAL = zoneinfo.ZoneInfo("America/Montreal")
_serial = itertools.count(1)


def local(*args: int) -> int:
    """Epoch seconds of a wall-clock time in Montreal (fold=0 for repeated times)."""
    return int(dt.datetime(*args, tzinfo=MONTREAL).timestamp())


def user(conn, at: int, *, role="volunteer", seen=None, active=1, deactivated=None, tag="") -> int:
    handle = f"{tag or 'person'}{next(_serial)}"[:32]
    return insert_user(
        conn, handle, role, at, languages=tag, last_seen_at=seen, active=active,
        deactivated_at=deactivated,
    )  # fmt: skip


def session(conn, created: int, seen: int, *, user_id=None, tag="") -> None:
    user_id = user_id or user(conn, created, role="coordinator")
    with transaction(conn):
        conn.execute(
            "INSERT INTO sessions (id_hash, user_id, data, created_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (f"sid-{next(_serial)}-{tag}", user_id, json.dumps({"note": tag}), created, seen),
        )


def invite(conn, created: int, expires: int, used=None, *, tag="") -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO invites (token_hash, purpose, role, created_at, expires_at, used_at)"
            " VALUES (?, 'invite', 'volunteer', ?, ?, ?)",
            (f"hash-{next(_serial)}-{tag}", created, expires, used),
        )


def audit(conn, at: int, *, tag="") -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO audit_events (at, action, target) VALUES (?, 'test', ?)", (at, tag)
        )


def purge_report(conn, at: int, *, tag="") -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO purge_reports (started_at, counts, outcome) VALUES (?, ?, 'done')",
            (at, json.dumps({tag or "audit_events": 1})),
        )


def failed_signin(conn, at: int, *, tag="") -> None:
    user_id = user(conn, at, tag=tag)
    with transaction(conn):
        conn.execute("INSERT INTO failed_signins (user_id, at) VALUES (?, ?)", (user_id, at))


def count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def fill(conn, now: int, rows: int, *, tag="BULK", blob=200) -> None:
    """Many purgeable rows (audit events, sessions) and as many to keep, in one transaction."""
    old, recent = now - 200 * 86_400, now - 3600
    padding = "x" * blob
    with transaction(conn):
        owner = insert_user(conn, f"owner{next(_serial)}", "coordinator", now)
        conn.executemany(
            "INSERT INTO audit_events (at, action, target) VALUES (?, 'bulk', ?)",
            ((old if i % 10 < 3 else recent, f"{tag}-{i}-{padding}") for i in range(rows)),
        )
        conn.executemany(
            "INSERT INTO sessions (id_hash, user_id, data, created_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                (f"bulk-{tag}-{i}", owner, f'{{"n": "{tag}-{i}-{padding}"}}', t, t)
                for i in range(rows // 5)
                for t in [old if i % 10 < 3 else now - 60]
            ),
        )
