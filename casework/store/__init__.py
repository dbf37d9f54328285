"""The encrypted store: its files in the instance folder, its key, its connections."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from flask import current_app

from casework import keys
from casework.store.db import (
    Connection,
    ConnectionPool,
    StoreError,
    WrongKey,
    connect,
    integrity_problems,
)
from casework.store.migrations import migrate

STORE_FILE = "casework.db"
SALT_FILE = "store.salt"

__all__ = [
    "SALT_FILE",
    "STORE_FILE",
    "Sealed",
    "Store",
    "StoreError",
    "WrongKey",
    "get_db",
    "get_store",
]


class Sealed(StoreError):
    """The store is locked: no key is held in memory."""


class Store:
    """One instance's store: sealed (no key in memory) or unlocked (a pool of connections)."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.path = instance / STORE_FILE
        self.salt_path = instance / SALT_FILE
        self._key: bytearray | None = None
        self._pool: ConnectionPool | None = None
        self._state_lock = threading.Lock()
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

    def create_with_key(self, key: bytes | bytearray) -> None:
        """Make the encrypted file and its schema with an already derived key."""
        conn = connect(self.path, key)
        try:
            migrate(conn, int(time.time()))
        finally:
            conn.close()

    def derive(self, passphrase: str) -> bytearray:
        """Derive this store's key from its passphrase (once per unlock, never per request)."""
        check_instance(self.instance)
        if not self.path.exists():
            raise StoreError(f"no store in {self.instance}: run `casework init` first")
        salt, params = keys.read_salt_file(self.salt_path)
        return keys.derive_key(passphrase, salt, params)

    def unlock(self, key: bytearray) -> None:
        """Prove the key, bring the schema up to date and open the pool; keep the key."""
        with self._state_lock:
            if self._pool is not None:
                return
            conn = connect(self.path, key)
            try:
                migrate(conn, int(time.time()))
            finally:
                conn.close()
            self._key = key
            self._pool = ConnectionPool(self.path, key)

    def lock(self) -> None:
        """Close every connection and overwrite the key: back to sealed."""
        with self._state_lock:
            pool, self._pool = self._pool, None
            if pool is not None:
                self.connections_opened += pool.opened
                pool.close_all()
            keys.wipe(self._key)
            self._key = None

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


def get_store() -> Store:
    """The app's store (sealed or not)."""
    return current_app.extensions["casework_store"]


def get_db() -> Connection:
    """This request thread's long-lived connection (raises Sealed when locked)."""
    return get_store().conn()


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
