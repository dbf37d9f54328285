"""The sealed or unlocked store object: its files in the instance folder, its key, its pool."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from casework import clock
from casework.store.db import (
    Connection,
    ConnectionPool,
    StoreError,
    WrongKey,
    connect,
    integrity_problems,
)
from casework.store.migrations import migrate
from casework.vault import keys

STORE_FILE = "casework.db"
SALT_FILE = "store.salt"
# A rekey or restore writes the next salt here first: the two files change in two steps.
PENDING_SALT_FILE = "store.salt.new"
# Lock now waits this long for requests in flight before closing their connections anyway.
DRAIN_SECONDS = 10.0

log = logging.getLogger("casework")

__all__ = [
    "SALT_FILE",
    "STORE_FILE",
    "Sealed",
    "Store",
    "StoreError",
    "WrongKey",
    "check_instance",
]


class Sealed(StoreError):
    """The store is locked: no key is held in memory."""


class Store:
    """One instance's store: sealed (no key in memory) or unlocked (a pool of connections)."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.path = instance / STORE_FILE
        self.salt_path = instance / SALT_FILE
        self.pending_salt_path = instance / PENDING_SALT_FILE
        self._key: bytearray | None = None
        self._pool: ConnectionPool | None = None
        self._state_lock = threading.Lock()
        self._users = threading.Condition()
        self._in_use: dict[int, int] = {}
        self.connections_opened = 0

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def sealed(self) -> bool:
        return self._pool is None

    def create(self, passphrase: str, params: keys.KdfParams) -> bytearray:
        """Make a new store (salt file, encrypted file, schema); refuse an existing one."""
        keys.check_passphrase(passphrase)
        check_instance(self.instance)
        if self.path.exists() or self.salt_path.exists():
            raise StoreError(f"a store already exists in {self.instance}: refusing to touch it")
        salt = keys.write_salt_file(self.salt_path, params)
        key = keys.derive_key(passphrase, salt, params)
        self.create_with_key(key)
        return key

    def create_with_key_file(self, key_file: Path, params: keys.KdfParams) -> bytearray:
        """Make a new store keyed directly by a key file (created when it does not exist)."""
        check_instance(self.instance)
        if self.path.exists() or self.salt_path.exists():
            raise StoreError(f"a store already exists in {self.instance}: refusing to touch it")
        key = keys.read_key_file(key_file) if key_file.exists() else keys.write_key_file(key_file)
        keys.write_salt_file(self.salt_path, params, key_file=True)
        self.create_with_key(key)
        return key

    @property
    def keyed_by_key_file(self) -> bool:
        """Whether this store opens with a key file (no passphrase can open it)."""
        return self.salt_path.exists() and keys.keyed_by_key_file(self.salt_path)

    def create_with_key(self, key: bytes | bytearray) -> None:
        """Make the encrypted file and its schema with an already derived key."""
        conn = connect(self.path, key)
        try:
            migrate(conn, clock.now())
        finally:
            conn.close()

    def derive(self, passphrase: str) -> bytearray:
        """Derive this store's key from its passphrase (once per unlock, never per request)."""
        check_instance(self.instance)
        if not self.path.exists():
            raise StoreError(f"no store in {self.instance}: run `casework init` first")
        salt, params = keys.read_salt_file(self.salt_path)
        return keys.derive_key(passphrase, salt, params)

    def key_for(self, passphrase: str) -> bytearray:
        """Derive and prove the key for ``passphrase``, finishing an interrupted rekey.

        A rekey or restore writes the next salt to ``store.salt.new`` before it changes
        the store file: when that file is left over, whichever salt opens the store with
        this passphrase is the right one; the other is cleaned up.
        """
        if self.keyed_by_key_file:
            raise keys.KeyProblem("this store opens with its key file, not a passphrase")
        if not self.pending_salt_path.exists():
            return self.derive(passphrase)
        check_instance(self.instance)
        for salt_path in (self.salt_path, self.pending_salt_path):
            try:
                salt, params = keys.read_salt_file(salt_path)
            except keys.KeyProblem:
                continue  # missing, or a pending file cut short by a crash
            key = keys.derive_key(passphrase, salt, params)
            try:
                self.prove(key)
            except WrongKey:
                keys.wipe(key)
                continue
            self._settle_pending(opened_with_pending=salt_path == self.pending_salt_path)
            return key
        raise WrongKey("the passphrase or key does not open this store")

    def _settle_pending(self, opened_with_pending: bool) -> None:
        if opened_with_pending:
            os.replace(self.pending_salt_path, self.salt_path)  # the change had committed
            log.info("finished an interrupted change of key")
        else:
            self.pending_salt_path.unlink()  # the change never committed
        keys.fsync_dir(self.instance)

    def key_from_file(self, key_file: Path) -> bytearray:
        """Read and prove a key file (unattended mode)."""
        check_instance(self.instance)
        if not self.path.exists():
            raise StoreError(f"no store in {self.instance}: run `casework init` first")
        key = keys.read_key_file(key_file)
        try:
            self.prove(key)
        except WrongKey:
            keys.wipe(key)
            raise
        if self.pending_salt_path.exists():
            # A restore to a key-file store stopped before its last rename.
            pending = keys.keyed_by_key_file(self.pending_salt_path)
            self._settle_pending(opened_with_pending=pending)
        return key

    def prove(self, key: bytearray) -> None:
        """Raise WrongKey unless ``key`` opens the store (a raw-key open costs ~0.2 ms)."""
        connect(self.path, key).close()

    def unlock(
        self, key: bytearray, after_open: Callable[[Connection], None] | None = None
    ) -> None:
        """Prove the key, bring the schema up to date, run ``after_open`` (ending old
        sessions, the purge) and only then open the pool; keep the key.
        """
        with self._state_lock:
            if self._pool is not None:
                if key is not self._key:
                    keys.wipe(key)  # already unlocked: this copy is not needed
                return
            try:
                conn = connect(self.path, key)
            except BaseException:
                keys.wipe(key)  # a wrong key is not kept either
                raise
            try:
                migrate(conn, clock.now())
                if after_open is not None:
                    after_open(conn)
            finally:
                conn.close()
            self._key = key
            self._pool = ConnectionPool(self.path, key)

    def lock(self, before_close: Callable[[Connection], None] | None = None) -> bool:
        """Seal at once, let requests in flight finish, then close every connection and
        overwrite the key. ``before_close`` runs on a connection in between (e.g. to end
        every session). Returns False when the store was already sealed.
        """
        with self._state_lock:
            pool, self._pool = self._pool, None  # new requests see Sealed from here on
            if pool is None:
                return False
            self._drain(DRAIN_SECONDS)
            try:
                if before_close is not None:
                    before_close(pool.get())
            finally:
                self.connections_opened += pool.opened
                pool.close_all()
                keys.wipe(self._key)
                self._key = None
        return True

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Mark this thread as using its connection (a request): lock() waits for it."""
        ident = threading.get_ident()
        with self._users:
            self._in_use[ident] = self._in_use.get(ident, 0) + 1
        try:
            yield
        finally:
            with self._users:
                self._in_use[ident] -= 1
                if not self._in_use[ident]:
                    del self._in_use[ident]
                self._users.notify_all()

    def _drain(self, seconds: float) -> None:
        # Closing a connection another thread is using is unsafe: wait for the others
        # (not for this thread, which may be the Lock now request itself).
        me, deadline = threading.get_ident(), time.monotonic() + seconds
        with self._users:
            while any(ident != me for ident in self._in_use):
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("locking with %d request(s) still running", len(self._in_use))
                    return
                self._users.wait(left)

    def conn(self) -> Connection:
        """This thread's long-lived connection."""
        pool = self._pool
        if pool is None:
            raise Sealed("the store is locked")
        try:
            return pool.get()
        except StoreError as exc:
            raise Sealed("the store is locked") from exc

    @property
    def pool_connections(self) -> int:
        """Connections opened since start (a test proves it stays within the thread pool)."""
        pool = self._pool
        return self.connections_opened + (pool.opened if pool else 0)

    def check(self, key: bytearray) -> list[str]:
        """Open with ``key`` and return what the integrity checks report."""
        conn = connect(self.path, key)
        try:
            return integrity_problems(conn)
        finally:
            with contextlib.suppress(Exception):
                conn.close()


def check_instance(instance: Path) -> None:
    """Fail with a clear message when the instance folder is missing or not usable."""
    if not instance.exists():
        raise StoreError(f"the instance folder {instance} does not exist")
    if not instance.is_dir():
        raise StoreError(f"the instance path {instance} is not a folder")
    try:
        next(instance.iterdir(), None)
    except OSError as exc:
        raise StoreError(f"the instance folder {instance} cannot be read") from exc
