"""The audit trail: who did what to which object, with ids and codes, never content."""

from __future__ import annotations

from casework.store.db import Connection, transaction


def record(conn: Connection, now: int, actor_id: int | None, action: str, target: str = "") -> None:
    """Append one event; joins the caller's transaction when there is one."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO audit_events (at, actor_id, action, target) VALUES (?, ?, ?, ?)",
            (now, actor_id, action, target),
        )
