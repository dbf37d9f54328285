"""The encrypted store: keyed connections, pragmas, transactions, nothing in plaintext."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from helpers.forensics import plaintext_contains
from helpers.instance import CHEAP_KDF, PASSPHRASE

from casework.store import db
from casework.vault.store import Store

MARKER = "zqxmarker7741"


def file_hash(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_store_file_is_not_plain_sqlite(store_key, instance):
    header = (instance / "casework.db").read_bytes()[:16]
    assert header != b"SQLite format 3\x00"


def test_connect_sets_the_pragmas(store_key, instance):
    conn = db.connect(instance / "casework.db", store_key)
    try:
        assert conn.execute("PRAGMA cipher_version").fetchone()[0]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -db.CACHE_KIB
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
    finally:
        conn.close()


def test_wrong_key_is_refused_and_file_unchanged(store_key, instance):
    path = instance / "casework.db"
    before = file_hash(path)
    with pytest.raises(db.WrongKey):
        db.connect(path, secrets.token_bytes(32))
    assert file_hash(path) == before


@pytest.mark.parametrize("key", [b"", b"short", b"x" * 31, b"x" * 33])
def test_key_must_be_32_bytes(instance, key):
    with pytest.raises(db.StoreError):
        db.connect(instance / "new.db", key)


def test_transaction_rolls_back_and_reraises(store_key, instance):
    conn = db.connect(instance / "casework.db", store_key)
    conn.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO notes VALUES ('kept?')")
        raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0
    assert not conn.in_transaction
    conn.close()


def test_nested_transaction_is_a_savepoint(store_key, instance):
    conn = db.connect(instance / "casework.db", store_key)
    conn.execute("CREATE TABLE notes (body TEXT)")
    with db.transaction(conn):
        conn.execute("INSERT INTO notes VALUES ('outer')")
        with pytest.raises(ValueError), db.transaction(conn):
            conn.execute("INSERT INTO notes VALUES ('inner')")
            raise ValueError
    rows = [r[0] for r in conn.execute("SELECT body FROM notes")]
    assert rows == ["outer"]
    conn.close()


def test_markers_written_through_the_app_never_reach_disk_in_plaintext(
    accounts, app, instance, store_key
):
    accounts.create(MARKER)
    accounts.signin(MARKER)
    files = [instance / name for name in ("casework.db", "casework.db-wal", "casework.db-shm")]
    for path in files:
        if path.exists():
            assert MARKER.encode() not in path.read_bytes(), path.name
    # The marker is really in there: decrypting with the key finds it.
    assert plaintext_contains(instance / "casework.db", bytes(store_key), MARKER.encode())
    app.extensions["casework_store"].lock()
    for path in files:
        if path.exists():
            assert MARKER.encode() not in path.read_bytes(), path.name


def test_lock_closes_connections_and_wipes_the_key(app):
    store = app.extensions["casework_store"]
    conn = store.conn()
    key = store._key
    store.lock()
    assert store.sealed
    assert set(key) == {0}
    with pytest.raises(db.Error):
        conn.execute("SELECT 1")


def test_create_refuses_an_existing_store(store_key, instance):
    path = instance / "casework.db"
    before = file_hash(path)

    with pytest.raises(db.StoreError, match="already exists"):
        Store(instance).create(PASSPHRASE, CHEAP_KDF)
    assert file_hash(path) == before
