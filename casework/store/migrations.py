"""Ordered schema migrations, each applied once in its own transaction and recorded."""

from __future__ import annotations

from importlib import resources

from casework.store.db import Connection, transaction

# Append only: a released migration is never edited, a change is a new file.
MIGRATIONS = (
    "0001_accounts",
    "0002_accounts_security",
    "0003_cases_tasks",
    "0004_retention",
    "0005_fewer_pages_per_write",
    "0006_key_slots",
    "0007_change_notices",
    "0008_backups_status",
    "0009_notices_by_start",
    "0010_assignments_by_start",
)


def _statements(script: str) -> list[str]:
    # Split on ";" at line ends: our schema files keep one statement per ";\n".
    return [part.strip() for part in script.split(";\n") if part.strip()]


def applied(conn: Connection) -> list[str]:
    """Names of the migrations already recorded in the store, in order."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " migration TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
    )
    rows = conn.execute("SELECT migration FROM schema_migrations ORDER BY migration")
    return [row[0] for row in rows]


def migrate(conn: Connection, now: int, upto: str | None = None) -> list[str]:
    """Apply every pending migration (or those up to ``upto``); return what was applied."""
    done = set(applied(conn))
    ran = []
    for migration in MIGRATIONS:
        if migration in done:
            continue
        script = resources.files("casework.store").joinpath(f"schema/{migration}.sql")
        with transaction(conn):
            for statement in _statements(script.read_text(encoding="utf-8")):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (migration, applied_at) VALUES (?, ?)",
                (migration, now),
            )
        ran.append(migration)
        if migration == upto:
            break
    return ran
