"""The only module that imports the database driver and keys connections.

SQLCipher via ``sqlcipher3``: the stdlib ``sqlite3`` module would accept ``PRAGMA key``
silently and write plaintext, so nothing else in casework may open a database.
"""

from __future__ import annotations

import contextlib
import errno
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlcipher3 import dbapi2

from casework.rules.wording import N_, Explained

Error = dbapi2.Error
IntegrityError = dbapi2.IntegrityError
OperationalError = dbapi2.OperationalError
DatabaseError = dbapi2.DatabaseError
Row = dbapi2.Row


class Connection(dbapi2.Connection):
    """A keyed connection that can keep what its reads computed, while nothing changed.

    ``kept`` holds such results by name, each with the ``version()`` it was read at.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept: dict[str, Any] = {}

    def version(self) -> tuple[int, int]:
        """Equal between two calls only if the store did not change in between: any commit
        by another connection or process moves ``data_version``, and every row this
        connection writes moves ``total_changes`` (committed or not)."""
        return self.execute("PRAGMA data_version").fetchone()[0], self.total_changes


KEY_BYTES = 32
_HEX_KEY = re.compile(r"[0-9a-f]{64}")
# 64 MB of page cache: the working set of a city-sized store stays decrypted in memory.
CACHE_KIB = 65536
BUSY_TIMEOUT_MS = 5000
SQLITE_FULL = 13
# ENOSPC: no space left; EDQUOT: the user's quota is used up; both mean "disk full" to people.
_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class StoreError(Explained):
    """The store cannot be opened or used; the message is safe to show an operator."""


class WrongKey(StoreError):
    """The key does not open this file (wrong passphrase, or a damaged first page)."""


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the disk is full: SQLITE_FULL or ENOSPC."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
            return True
        if isinstance(exc, Error):
            code = getattr(exc, "sqlite_errorcode", None)
            if (code is not None and code & 0xFF == SQLITE_FULL) or "disk is full" in str(exc):
                return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _key_literal(key: bytes | bytearray) -> str:
    if len(key) != KEY_BYTES:
        raise StoreError(N_("the store key must be {key_bytes} bytes"), key_bytes=KEY_BYTES)
    hex_key = bytes(key).hex()
    # PRAGMA values cannot be bound: only ever format a validated 64-hex key.
    if not _HEX_KEY.fullmatch(hex_key):
        raise StoreError(N_("the store key is malformed"))
    return f"\"x'{hex_key}'\""


def _key_pragma(key: bytes | bytearray) -> str:
    return f"PRAGMA key = {_key_literal(key)}"


def rekey(conn: Connection, new_key: bytes | bytearray) -> None:
    """Re-encrypt every page under ``new_key`` in one transaction (in WAL: one commit)."""
    conn.execute(f"PRAGMA rekey = {_key_literal(new_key)}")


def export_encrypted(conn: Connection, target: Path, key: bytes | bytearray) -> None:
    """Copy the whole store into a new file encrypted under ``key`` (never KEY '')."""
    conn.execute(f"ATTACH DATABASE ? AS export KEY {_key_literal(key)}", (str(target),))
    try:
        conn.execute("SELECT sqlcipher_export('export')").fetchall()
    finally:
        conn.execute("DETACH DATABASE export")


def connect(path: Path | str, key: bytes | bytearray | None) -> Connection:
    """Open ``path`` keyed with a raw 32-byte key, prove the key, and set the pragmas.

    ``key=None`` opens without encryption: only the benchmark's comparison uses it.
    """
    conn = sqlcipher3.connect(
        str(path),
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
        factory=Connection,
    )
    try:
        conn.row_factory = Row
        if key is not None:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(_key_pragma(key))
        try:
            # PRAGMA key answers ok even for a wrong key: the first read proves it.
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except DatabaseError as exc:
            raise WrongKey(N_("the passphrase or key does not open this store")) from exc
        version = conn.execute("PRAGMA cipher_version").fetchone()
        if key is not None and not (version and version[0]):
            raise StoreError(N_("the database driver is not SQLCipher: refusing to continue"))
        _set_pragmas(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _set_pragmas(conn: Connection) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an acknowledged write survives a power cut, not only a crash.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")


# When each thread of this process now waiting for the write lock began to wait.
_writers: list[float] = []
_writers_lock = threading.Lock()


def _waiting(since: float | None) -> float:
    with _writers_lock:
        if since is None:
            since = time.monotonic()
            _writers.append(since)
        else:
            _writers.remove(since)
    return since


def writers_waiting() -> int:
    """How many threads of this process wait for the write lock now (the purge yields)."""
    return len(_writers)


def longest_writer_wait() -> float:
    """Seconds the longest-waiting writer of this process has waited (0: none waits)."""
    with _writers_lock:
        return time.monotonic() - min(_writers) if _writers else 0.0


@contextlib.contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """Run a block as one write transaction: BEGIN IMMEDIATE, commit, or roll back and re-raise.

    Nested use becomes a savepoint, so helpers can be composed freely.
    """
    if conn.in_transaction:
        conn.execute("SAVEPOINT nested")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")
            raise
        conn.execute("RELEASE nested")
        return
    # IMMEDIATE takes the write lock up front: a deferred BEGIN can fail with
    # "database is locked" on upgrade, whatever the busy timeout.
    since = _waiting(None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        _waiting(since)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def integrity_problems(conn: Connection) -> list[str]:
    """Return what ``integrity_check`` and ``cipher_integrity_check`` report (empty = sound)."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    problems += [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    return problems


def checkpoint(conn: Connection) -> None:
    """Fold the WAL into the main file and truncate it to zero bytes."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


class ConnectionPool:
    """One long-lived keyed connection per server thread, all closed together.

    Connections are opened with the raw key (~0.2 ms) the first time a thread needs one
    and kept: no key derivation and no new connection per request.
    """

    def __init__(self, path: Path, key: bytes | bytearray | None) -> None:
        self.path = path
        self._key = key
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Connection] = []
        self._closed = False
        self.opened = 0

    def get(self) -> Connection:
        """Return this thread's connection, opening it on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._closed:
                    raise StoreError(N_("the store is locked"))
                conn = connect(self.path, self._key)
                self._all.append(conn)
                self.opened += 1
            self._local.conn = conn
        return conn

    def close_all(self) -> None:
        """Close every connection (from any thread) and drop the reference to the key."""
        with self._lock:
            self._closed = True
            for conn in self._all:
                with contextlib.suppress(Error):
                    conn.close()
            self._all.clear()
            self._key = None
