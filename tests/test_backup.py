"""Encrypted backups: never plaintext, every live row back, damage and wrong passphrases
refused, and the purge hook run at once on a restored store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.forensics import SQLITE_HEADER, plaintext_contains
from helpers.instance import PASSPHRASE

from casework.cli import cli
from casework.store.db import connect
from casework.vault import backup, keys, purges
from casework.vault.store import Store

BACKUP_PASSPHRASE = "the backup has its own passphrase"
RESTORED_PASSPHRASE = "and the restored store another one"
MARKER = "zebra-quartz-4471"


@pytest.fixture
def filled(app, accounts, instance):
    """A store with people in it (the marker as a handle), then locked."""
    for number in range(12):
        accounts.create(f"person{number:02d}")
    accounts.create(MARKER)
    app.extensions["casework_store"].lock()
    return instance


def rows(instance: Path, key: bytearray) -> dict[str, list[tuple]]:
    conn = connect(instance / "casework.db", key)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        # Table names come from the schema itself, not from input.
        return {t: sorted(map(tuple, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}  # noqa: S608
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_backup(run, target: Path) -> None:
    result = run(
        "backup", str(target), "--passphrase-stdin", stdin=_lines(PASSPHRASE, BACKUP_PASSPHRASE)
    )
    assert result.exit_code == 0, result.output


def _lines(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


def test_backup_is_never_plaintext_and_opens_only_with_its_own_key(run, filled, tmp_path):
    target = tmp_path / "copy.backup"
    make_backup(run, target)
    data = target.read_bytes()
    assert SQLITE_HEADER not in data
    assert MARKER.encode() not in data
    assert target.stat().st_mode & 0o077 == 0
    # The body is a SQLCipher file under the backup's key: decrypting with it finds the
    # marker, and the store's key does not open it.
    salt, params, length = backup.read_header(target)
    backup_key = keys.derive_key(BACKUP_PASSPHRASE, salt, params)
    body = tmp_path / "body.db"
    body.write_bytes(data[backup.HEADER.size : backup.HEADER.size + length])
    assert plaintext_contains(body, bytes(backup_key), MARKER.encode())
    store_key = Store(filled).key_for(PASSPHRASE)
    assert not plaintext_contains(body, bytes(store_key), MARKER.encode())
    assert list(tmp_path.glob(".casework-*")) == []  # the working copy is gone


def test_round_trip_keeps_every_live_row_under_a_new_passphrase(run, filled, tmp_path):
    before = rows(filled, Store(filled).key_for(PASSPHRASE))
    target = tmp_path / "copy.backup"
    make_backup(run, target)
    result = run(
        "restore", str(target), "--force", "--passphrase-stdin",
        stdin=_lines(BACKUP_PASSPHRASE, RESTORED_PASSPHRASE),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    store = Store(filled)
    after = rows(filled, store.key_for(RESTORED_PASSPHRASE))
    assert not (filled / "store.slots.new").exists()
    # Sessions in a backup end at restore; the audit trail records the restore itself.
    before["sessions"], after_sessions = [], after.pop("sessions")
    assert after_sessions == []
    restored_audit = after.pop("audit_events")
    assert restored_audit[: len(before["audit_events"])] == before.pop("audit_events")
    assert {row[3] for row in restored_audit[-1:]} == {"store.restored"}
    before.pop("sessions")
    # The restore runs the purge at once: spent links go, and the run leaves its report.
    live_links = [row for row in before.pop("invites") if row[8] is None]  # used_at
    assert after.pop("invites") == live_links
    assert len(after.pop("purge_reports")) == len(before.pop("purge_reports")) + 1
    # A new master key, slot file and recovery key: only the operator and recovery slots
    # are left; coordinators get theirs back at their next sign-in.
    assert {row[1] for row in after.pop("unlock_slots")} == {"operator", "recovery"}
    assert [row[2] for row in after.pop("vault")] == [1]
    assert before.pop("vault")[0][1] != store.opened.file.store_id
    before.pop("unlock_slots")
    assert "Recovery key" in result.output
    assert after == before
    assert run("check", "--passphrase-stdin", stdin=_lines(RESTORED_PASSPHRASE)).exit_code == 0


def test_restore_runs_the_purge_hook_at_once(run, filled, tmp_path, monkeypatch):
    target = tmp_path / "old.backup"
    make_backup(run, target)
    calls = []

    def spy(conn, now, settings):
        calls.append((conn.execute("SELECT count(*) FROM users").fetchone()[0], settings))

    # The hook is the integration point retention fills in; here we only see it called.
    monkeypatch.setattr(purges, "after_unlock", spy)
    result = run(
        "restore", str(target), "--force", "--passphrase-stdin",
        stdin=_lines(BACKUP_PASSPHRASE, RESTORED_PASSPHRASE),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert calls[0][0] == 13 and "retention.closed_case_days" in calls[0][1]


def test_restore_into_an_empty_instance_with_a_key_file(run, filled, tmp_path):
    target = tmp_path / "copy.backup"
    make_backup(run, target)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "config.toml").write_text((filled / "config.toml").read_text())
    key_file = tmp_path / "fresh.key"
    result = CliRunner().invoke(
        cli,
        [
            *("--instance", str(fresh), "restore", str(target)),
            *("--passphrase-stdin", "--key-file", str(key_file)),
        ],
        input=_lines(BACKUP_PASSPHRASE),
    )
    assert result.exit_code == 0, result.output
    assert Store(fresh).keyed_by_key_file
    store = Store(fresh)
    assert rows(fresh, store.key_from_file(key_file))["users"]


def test_restore_refuses_an_existing_store_without_force(run, filled, tmp_path):
    target = tmp_path / "copy.backup"
    make_backup(run, target)
    before = digest(filled / "casework.db")
    result = run(
        "restore", str(target), "--passphrase-stdin",
        stdin=_lines(BACKUP_PASSPHRASE, RESTORED_PASSPHRASE),
    )  # fmt: skip
    assert result.exit_code == 1 and "--force" in result.output
    assert digest(filled / "casework.db") == before


def _flip(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[:-100], "truncated"),
        (lambda d: d[: len(d) // 2], "truncated"),
        (lambda d: d + b"\0", "extra bytes"),
        (lambda d: _flip(d, len(d) // 2), "bytes were changed"),
        (lambda d: _flip(d, 20), "bytes were changed"),
        (lambda d: _flip(d, 2), "not a casework backup"),
        (lambda d: b"", "not a casework backup"),
        (lambda d: SQLITE_HEADER + d[16:], "not a casework backup"),
    ],
    ids=["tail-cut", "half", "extra", "flip-body", "flip-salt", "magic", "empty", "sqlite"],
)
def test_damaged_backup_is_refused_and_the_store_untouched(run, filled, tmp_path, damage, message):
    target = tmp_path / "copy.backup"
    make_backup(run, target)
    target.write_bytes(damage(target.read_bytes()))
    before = digest(filled / "casework.db"), digest(filled / "store.slots")
    result = run(
        "restore", str(target), "--force", "--passphrase-stdin",
        stdin=_lines(BACKUP_PASSPHRASE, RESTORED_PASSPHRASE),
    )  # fmt: skip
    assert result.exit_code == 1
    assert message in result.output and result.output.count("\n") == 1
    assert (digest(filled / "casework.db"), digest(filled / "store.slots")) == before
    assert not (filled / backup.WORK_FILE).exists()


def test_wrong_backup_passphrase_is_refused(run, filled, tmp_path):
    target = tmp_path / "copy.backup"
    make_backup(run, target)
    before = digest(filled / "casework.db")
    result = run(
        "restore", str(target), "--force", "--passphrase-stdin",
        stdin=_lines("not the backup passphrase", RESTORED_PASSPHRASE),
    )  # fmt: skip
    assert result.exit_code == 1 and "backup passphrase does not open" in result.output
    assert digest(filled / "casework.db") == before


def test_backup_refusals(run, filled, tmp_path):
    before = digest(filled / "casework.db")
    wrong = run(
        "backup", str(tmp_path / "a.backup"), "--passphrase-stdin",
        stdin=_lines("not the passphrase at all", BACKUP_PASSPHRASE),
    )  # fmt: skip
    assert wrong.exit_code == 1 and "does not open" in wrong.output
    short = run(
        "backup", str(tmp_path / "b.backup"), "--passphrase-stdin",
        stdin=_lines(PASSPHRASE, "short"),
    )  # fmt: skip
    assert short.exit_code == 1 and "at least 12" in short.output
    existing = tmp_path / "c.backup"
    existing.write_text("keep me")
    taken = run(
        "backup", str(existing), "--passphrase-stdin", stdin=_lines(PASSPHRASE, BACKUP_PASSPHRASE)
    )
    assert taken.exit_code == 1 and "already exists" in taken.output
    assert existing.read_text() == "keep me"
    assert digest(filled / "casework.db") == before
    assert not (tmp_path / "a.backup").exists() and not (tmp_path / "b.backup").exists()
