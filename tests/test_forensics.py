"""The forensic page decryptor works: it finds what SQLCipher hides, and only with the key."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3
from helpers.forensics import (
    SQLITE_HEADER,
    HmacError,
    decrypt_pages,
    decrypt_wal,
    plaintext_contains,
    read_salt,
)

MARKER = b"FORENSIC-CANARY-7f3a9c"
KEEP = b"KEEP-THIS-ROW-51d0e2"


@contextlib.contextmanager
def keyed(path: Path, key: bytes) -> Iterator[sqlcipher3.Connection]:
    conn = sqlcipher3.connect(path)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        yield conn
    finally:
        conn.close()


def fill(conn: sqlcipher3.Connection, marker: bytes, rows: int) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, tag TEXT, body TEXT)")
    conn.executemany(
        "INSERT INTO note (tag, body) VALUES (?, ?)",
        [(marker.decode(), f"{marker.decode()} row {i} " + "x" * 200) for i in range(rows)],
    )
    conn.commit()


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def db(tmp_path: Path, key: bytes) -> Path:
    path = tmp_path / "store.db"
    with keyed(path, key) as conn:
        fill(conn, MARKER, 50)
    return path


def test_raw_file_hides_marker_but_decryption_finds_it(db: Path, key: bytes) -> None:
    raw = db.read_bytes()
    assert not raw.startswith(SQLITE_HEADER)
    assert MARKER not in raw
    assert not Path(f"{db}-wal").exists()
    assert plaintext_contains(db, key, MARKER)
    assert not plaintext_contains(db, key, b"NEVER-WRITTEN-0c4e")


def test_page_one_header(db: Path, key: bytes) -> None:
    pages = decrypt_pages(db, key, verify_hmac=True)
    assert len(pages) == db.stat().st_size // 4096 > 1
    assert all(len(p) == 4096 for p in pages)
    first = pages[0]
    assert first[:16] == SQLITE_HEADER
    assert int.from_bytes(first[16:18], "big") == 4096  # page size
    assert first[18:20] == b"\x01\x01"  # rollback journal read/write versions
    assert first[20] == 80  # reserved bytes per page: IV + HMAC
    assert first[21:24] == b"\x40\x20\x20"  # payload fractions fixed by the file format
    assert int.from_bytes(first[28:32], "big") == len(pages)  # in-header database size
    # the salt stays in the clear and is not the SQLite header
    assert read_salt(db) == db.read_bytes()[:16] != SQLITE_HEADER


def test_wrong_key_finds_nothing_and_fails_hmac(db: Path, key: bytes) -> None:
    wrong = secrets.token_bytes(32)
    pages = decrypt_pages(db, wrong)
    assert pages
    assert not any(MARKER in p for p in pages)
    assert not pages[0][16:].startswith(b"\x10\x00\x01\x01")
    assert not plaintext_contains(db, wrong, MARKER)
    with pytest.raises(HmacError):
        decrypt_pages(db, wrong, verify_hmac=True)
    # the right key still verifies, and a flipped byte anywhere in a page is detected
    decrypt_pages(db, key, verify_hmac=True)
    data = bytearray(db.read_bytes())
    data[4096 + 100] ^= 1
    db.write_bytes(bytes(data))
    with pytest.raises(HmacError, match="page 2"):
        decrypt_pages(db, key, verify_hmac=True)


def test_bad_arguments(db: Path, key: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        decrypt_pages(db, key[:16])
    with pytest.raises(ValueError, match="multiple of page size"):
        decrypt_pages(db, key, page_size=8192 * 4)
    with pytest.raises(ValueError, match="empty"):
        plaintext_contains(db, key, b"")


def test_wal_frames_hold_marker_before_checkpoint(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "wal.db"
    wal = Path(f"{path}-wal")
    with keyed(path, key) as conn:
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        fill(conn, MARKER, 50)
        assert wal.stat().st_size > 32
        wal_raw = wal.read_bytes()
        assert MARKER not in wal_raw
        assert MARKER not in path.read_bytes()
        # nothing checkpointed yet: only the WAL holds the rows
        assert not any(MARKER in p for p in decrypt_pages(path, key))
        frames = decrypt_wal(wal, key, verify_hmac=True)
        assert len(frames) == (len(wal_raw) - 32) // (24 + 4096)
        assert any(MARKER in f for f in frames)
        assert plaintext_contains(path, key, MARKER)
        # page-1 frames carry the same clear salt as the main file
        page1 = [f for f in frames if f[:16] == SQLITE_HEADER]
        assert page1
        assert all(f[20] == 80 for f in page1)
        # the wrong key sees nothing in the WAL and fails its HMACs
        wrong = secrets.token_bytes(32)
        assert not any(MARKER in f for f in decrypt_wal(wal, wrong))
        with pytest.raises(HmacError):
            decrypt_wal(wal, wrong, verify_hmac=True, salt=read_salt(path))
    assert decrypt_wal(tmp_path / "missing.db-wal", key) == []


def _purge(conn: sqlcipher3.Connection, *, secure: bool, vacuum: bool) -> None:
    conn.execute(f"PRAGMA secure_delete = {'ON' if secure else 'OFF'}")
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == int(secure)
    conn.execute("DELETE FROM note WHERE tag = ?", (MARKER.decode(),))
    conn.commit()
    assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone() == (0, 0, 0)
    if vacuum:
        conn.execute("VACUUM")
        assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone() == (0, 0, 0)


@pytest.mark.parametrize(
    ("secure", "vacuum", "survives"), [(True, True, False), (False, False, True)]
)
def test_purge_leaves_nothing_only_with_full_procedure(
    tmp_path: Path, key: bytes, secure: bool, vacuum: bool, survives: bool
) -> None:
    path = tmp_path / "purge.db"
    wal = Path(f"{path}-wal")
    with keyed(path, key) as conn:
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        fill(conn, KEEP, 20)
        fill(conn, MARKER, 200)
        assert plaintext_contains(path, key, MARKER)
        _purge(conn, secure=secure, vacuum=vacuum)
        assert (
            conn.execute("SELECT count(*) FROM note WHERE tag = ?", (MARKER.decode(),)).fetchone()[
                0
            ]
            == 0
        )
        assert wal.stat().st_size == 0
        assert decrypt_wal(wal, key) == []
        pages = decrypt_pages(path, key, verify_hmac=True)
        assert any(KEEP in p for p in pages)  # the kept rows are still readable
        assert any(MARKER in p for p in pages) is survives
        assert plaintext_contains(path, key, MARKER) is survives
    # closing the last connection changes nothing
    assert not wal.exists() or wal.stat().st_size == 0
    assert plaintext_contains(path, key, MARKER) is survives
    assert plaintext_contains(path, key, KEEP)
    assert MARKER not in path.read_bytes()
    assert os.path.getsize(path) % 4096 == 0
