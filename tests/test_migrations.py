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
    "0010_assignments_by_start": set(),  # a column, an index and two triggers
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


def test_assignments_keep_their_tasks_start_from_the_migration_on(fresh):
    migrations.migrate(fresh, 1, upto="0009_notices_by_start")
    with db.transaction(fresh):
        fresh.execute(
            "INSERT INTO users (id, public_id, handle, role, password_hash, created_at)"
            " VALUES (7, 'pub', 'river', 'volunteer', 'x', 1)"
        )
        fresh.execute(
            "INSERT INTO cases (id, code, opened_at, changed_at) VALUES (1, 'E4X-9BKP-7DN', 1, 1)"
        )
        for task_id, start in ((1, 5000), (2, 9000)):
            fresh.execute(
                "INSERT INTO tasks (id, token, case_id, kind, starts_at, ends_at, place,"
                " people_needed, created_at) VALUES (?, ?, 1, 'hearing', ?, ?, 'court', 1, 1)",
                (task_id, f"t{task_id}", start, start + 3600),
            )
        fresh.execute("INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (1, 7, 1)")
    migrations.migrate(fresh, 2)

    def starts() -> dict[int, int]:
        rows = fresh.execute("SELECT task_id, task_starts_at FROM assignments WHERE user_id = 7")
        return {row[0]: row[1] for row in rows}

    assert starts() == {1: 5000}  # the assignments made before the migration
    with db.transaction(fresh):  # an insert that does not say the start has it filled
        fresh.execute("INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (2, 7, 1)")
    assert starts() == {1: 5000, 2: 9000}
    with db.transaction(fresh):  # a task moved: its assignments follow
        fresh.execute("UPDATE tasks SET starts_at = 7000, ends_at = 10600 WHERE id = 2")
    assert starts() == {1: 5000, 2: 7000}
