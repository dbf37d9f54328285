"""SECURITY.md item 17: no column of any table is named like a forbidden field."""

from __future__ import annotations

import re
import secrets

import pytest

from casework.store import db, migrations

FORBIDDEN_WORDS = (
    "name",
    "status",
    "birth",
    "nationality",
    "passport",
    "phone",
    "email",
    "address",
)
FORBIDDEN_TOKENS = ("sin", "uci")


def forbidden(column: str) -> bool:
    """A word anywhere in the name, or a token between underscores (sin, uci)."""
    lowered = column.lower()
    tokens = re.split(r"[_\W\d]+", lowered)
    return any(word in lowered for word in FORBIDDEN_WORDS) or any(
        token in FORBIDDEN_TOKENS for token in tokens
    )


def all_columns(conn) -> list[tuple[str, str]]:
    tables = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        if not row[0].startswith("sqlite_")
    ]
    return [
        (table, column[1])
        for table in tables
        for column in conn.execute(f'PRAGMA table_info("{table}")')
    ]


def test_no_column_is_named_like_a_forbidden_field(tmp_path):
    conn = db.connect(tmp_path / "s.db", secrets.token_bytes(32))
    try:
        migrations.migrate(conn, 1)
        columns = all_columns(conn)
    finally:
        conn.close()
    assert len(columns) > 30  # every migration's tables were read
    assert [c for c in columns if forbidden(c[1])] == []


@pytest.mark.parametrize(
    "column",
    [
        "legal_name",
        "Name",
        "immigration_status",
        "date_of_birth",
        "birthdate",
        "nationality",
        "passport_no",
        "phone",
        "cellphone",
        "email",
        "home_address",
        "sin",
        "client_sin",
        "uci",
        "uci_number",
    ],
)
def test_the_checker_flags_forbidden_columns(column):
    assert forbidden(column)


@pytest.mark.parametrize(
    "column",
    ["handle", "state", "instructions", "single_use", "languages", "meeting_point", "kind"],
)
def test_the_checker_lets_ordinary_columns_pass(column):
    assert not forbidden(column)
