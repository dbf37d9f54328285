"""Each migration applies once, in order, inside its own transaction, and is recorded."""

from __future__ import annotations

import secrets

import pytest

from casework.store import db, migrations

EXPECTED_TABLES = {
    "0001_accounts": {"users", "invites", "sessions", "audit_events"},
    "0002_accounts_security": {"recovery_codes", "failed_signins"},
    "0003_cases_tasks": {"cases", "tasks", "assignments"},
    "0004_retention": {"purge_reports"},
    "0005_fewer_pages_per_write": set(),  # indexes only
    "0006_key_slots": {"vault", "unlock_slots"},
    "0007_change_notices": {"change_notices"},
    "0008_backups_status": {"backups_made"},
    "0009_notices_by_start": set(),  # a column and an index
}


@pytest.fixture
def fresh(tmp_path):
    conn = db.connect(tmp_path / "m.db", secrets.token_bytes(32))
    yield conn
    conn.close()


def tables(conn) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
    return {row[0] for row in rows}


def test_every_migration_has_an_expectation():
    assert set(migrations.MIGRATIONS) == set(EXPECTED_TABLES)
    assert list(migrations.MIGRATIONS) == sorted(migrations.MIGRATIONS)


@pytest.mark.parametrize("migration", migrations.MIGRATIONS)
def test_migration_creates_its_tables(fresh, migration):
    before = tables(fresh)
    ran = migrations.migrate(fresh, 1, upto=migration)
    assert ran[-1] == migration
    assert EXPECTED_TABLES[migration] <= tables(fresh) - before
    assert migration in migrations.applied(fresh)


def test_migrate_is_idempotent(fresh):
    first = migrations.migrate(fresh, 1)
    assert first == list(migrations.MIGRATIONS)
    assert migrations.migrate(fresh, 2) == []
    count = fresh.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert count == len(migrations.MIGRATIONS)


def test_statements_are_split_per_statement():
    script = "CREATE TABLE a (x);\n-- note\nCREATE TABLE b (y);\n"
    assert migrations._statements(script) == ["CREATE TABLE a (x)", "-- note\nCREATE TABLE b (y)"]
