"""The sealed or unlocked store object: its files in the instance folder, its key, its pool.

Sealed, no key is in memory. Unlocked, the master key and the slot file it was checked
against are held here, with one long-lived connection per server thread. Changes to the
slots while unlocked (a coordinator's new slot, a removal that rotates the master key)
go through this object, so that they are serialised with unlocking and locking.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from casework import clock
from casework.rules import recovery_key
from casework.rules.wording import N_
from casework.store import vault_state
from casework.store.db import (
    Connection,
    ConnectionPool,
    StoreError,
    WrongKey,
    connect,
    integrity_problems,
)
from casework.store.migrations import migrate
from casework.vault import keys, slots
from casework.vault.keyring import SALT_FILE, Keyring, Unlocked

STORE_FILE = "casework.db"
# Lock now waits this long for requests in flight before closing their connections anyway.
DRAIN_SECONDS = 10.0
# A request that arrives during a rotation waits this long for the new key.
ROTATION_WAIT_SECONDS = 30.0

log = logging.getLogger("casework")

__all__ = [
    "SALT_FILE",
    "STORE_FILE",
    "RecoveryKeyTypo",
    "Sealed",
    "Store",
    "StoreError",
    "WrongKey",
    "check_instance",
]


class Sealed(StoreError):
    """The store is locked: no key is held in memory."""


class RecoveryKeyTypo(keys.KeyProblem):
    """What was typed is shaped like the recovery key but a symbol is wrong (not tried)."""


class Store:
    """One instance's store: sealed (no key in memory) or unlocked (a pool of connections)."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.path = instance / STORE_FILE
        self.keyring = Keyring(instance, self.path)
        self.slot_path = self.keyring.slot_path
        self.salt_path = self.keyring.salt_path
        self._key: bytearray | None = None
        self._slots: slots.SlotFile | None = None
        self._pool: ConnectionPool | None = None
        self._state_lock = threading.RLock()
        self._rotation = threading.Condition()
        self._rotating = False
        self._users = threading.Condition()
        self._in_use: dict[int, int] = {}
        self.connections_opened = 0
        self.rotations = 0
        # What the last credential opened (its slot), and a recovery key made on the way
        # (at creation or upgrade) for the caller to show once.
        self.opened: Unlocked | None = None
        self.new_recovery_key: str | None = None

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def sealed(self) -> bool:
        return self._pool is None

    # --- creating and opening -----------------------------------------------------------

    def create(self, passphrase: str | None, params: keys.KdfParams) -> bytearray:
        """Make a new store with an operator slot (``passphrase``) and a recovery key."""
        if passphrase is not None:
            keys.check_passphrase(passphrase)
        check_instance(self.instance)
        if self.keyring.exists or self.path.exists():
            raise StoreError(
                N_("a store already exists in {instance}: refusing to touch it"),
                instance=self.instance,
            )
        master, self.new_recovery_key = self.keyring.create(clock.now(), params, passphrase)
        return master

    def create_with_key_file(self, key_file: Path, params: keys.KdfParams) -> bytearray:
        """Make a new store that opens unattended with a key file (created when missing)."""
        check_instance(self.instance)
        if self.keyring.exists or self.path.exists():
            raise StoreError(
                N_("a store already exists in {instance}: refusing to touch it"),
                instance=self.instance,
            )
        key = keys.read_key_file(key_file) if key_file.exists() else keys.write_key_file(key_file)
        try:
            master, self.new_recovery_key = self.keyring.create(
                clock.now(), params, key_file=bytes(key)
            )
        finally:
            keys.wipe(key)
        return master

    @property
    def keyed_by_key_file(self) -> bool:
        """Whether only a key file (or the recovery key) opens this store, no passphrase."""
        if not self.keyring.exists:
            return False
        kinds = self.keyring.kinds()
        return slots.KEY_FILE in kinds and slots.OPERATOR not in kinds

    def _ready(self) -> None:
        check_instance(self.instance)
        if not self.path.exists():
            raise StoreError(
                N_("no store in {instance}: run `casework init` first"), instance=self.instance
            )

    def open(self, credential: slots.Credential, params: keys.KdfParams | None = None):
        """The master key behind ``credential`` (WrongKey when it opens nothing)."""
        self._ready()
        opened = self.keyring.open(credential, clock.now(), params or keys.KdfParams())
        self.opened = opened
        if opened.new_recovery_key:
            self.new_recovery_key = opened.new_recovery_key
        return opened.master

    def key_for(self, secret: str, params: keys.KdfParams | None = None) -> bytearray:
        """The master key for the operator passphrase, or for the recovery key."""
        self._ready()
        if recovery_key.looks_like(secret) and not self.keyring.legacy:
            try:
                key = recovery_key.decode(secret)
            except recovery_key.RecoveryKeyTypo as exc:
                raise RecoveryKeyTypo("check the recovery key: a symbol is wrong") from exc
            try:
                return self.open(slots.recovery(key), params)
            finally:
                keys.wipe(key)
        if self.keyed_by_key_file:
            raise keys.KeyProblem(N_("this store opens with its key file, not a passphrase"))
        return self.open(slots.operator(secret), params)

    derive = key_for

    def key_from_file(self, key_file: Path, params: keys.KdfParams | None = None) -> bytearray:
        """Read a key file and open its slot (unattended mode)."""
        self._ready()
        key = keys.read_key_file(key_file)
        try:
            return self.open(slots.key_file(key), params)
        finally:
            keys.wipe(key)

    def prove(self, key: bytearray) -> None:
        """Raise WrongKey unless ``key`` opens the store (a raw-key open costs ~0.2 ms)."""
        connect(self.path, key).close()

    # --- unlocked -------------------------------------------------------------------------

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
                file = slots.read(self.slot_path)
                slots.verify(file, key)
                if after_open is not None:
                    after_open(conn)
            except BaseException:
                keys.wipe(key)
                raise
            finally:
                conn.close()
            self._key, self._slots = key, file
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
                self._key, self._slots = None, None
        return True

    def touch_slot(self, slot_id: str) -> None:
        """Record in the slot file when a slot was last used (a successful unlock)."""
        with self._state_lock:
            if self._slots is not None:
                self._slots = self.keyring.touch(self._slots, slot_id, clock.now())

    @property
    def slot_file(self) -> slots.SlotFile | None:
        """The slot file the store was unlocked against (None when sealed)."""
        return self._slots

    def add_slot(
        self,
        credential: slots.Credential,
        params: keys.KdfParams,
        *,
        user_id: int | None = None,
        replaces: str | None = None,
    ) -> slots.Slot:
        """Give ``credential`` a slot (a coordinator's, a new recovery key, an operator
        passphrase); the master key stays the same. Raises Sealed when locked.
        """
        return self.add_slots([(credential, user_id, replaces)], params)[0]

    def add_slots(self, entries, params: keys.KdfParams) -> list[slots.Slot]:
        """Several slots in one new file: (credential, owner's user id, slot it replaces)."""
        with self._state_lock:
            if self._pool is None or self._key is None or self._slots is None:
                raise Sealed(N_("the store is locked"))
            self._slots, made = self.keyring.add(
                self._pool.get(), self._key, self._slots, entries, clock.now(), params
            )
            return made

    def rotate(self, remove: tuple[str, ...] = (), after: Callable[[], None] | None = None):
        """A new master key, sealed to every slot but ``remove``, while serving.

        Requests in flight finish first; new ones wait for the new key (up to
        ROTATION_WAIT_SECONDS). Every pooled connection is closed (their page caches with
        it) and reopened under the new key; ``after`` runs once the new key is in place
        (the card cache is dropped there). A failure (a full disk) changes nothing.
        """
        with self._state_lock:
            if self._pool is None or self._key is None or self._slots is None:
                raise Sealed(N_("the store is locked"))
            with self._rotation:
                self._rotating = True
            try:
                self._drain(DRAIN_SECONDS)
                pool, old_key = self._pool, self._key
                self.connections_opened += pool.opened
                pool.close_all()  # a re-keyed file must not be read through an old key
                conn = connect(self.path, old_key)
                try:
                    new_key, new_file = self.keyring.rotate(conn, old_key, self._slots, remove)
                except BaseException:
                    self._pool = ConnectionPool(self.path, old_key)  # nothing changed
                    raise
                finally:
                    conn.close()
                self._key, self._slots = new_key, new_file
                self._pool = ConnectionPool(self.path, new_key)
                keys.wipe(old_key)
                self.rotations += 1
                if after is not None:
                    after()
            finally:
                with self._rotation:
                    self._rotating = False
                    self._rotation.notify_all()

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
        """This thread's long-lived connection (waits out a rotation in progress)."""
        for attempt in (1, 2):
            with self._rotation:
                if self._rotating:
                    self._rotation.wait_for(lambda: not self._rotating, ROTATION_WAIT_SECONDS)
            pool = self._pool
            if pool is None:
                raise Sealed(N_("the store is locked"))
            try:
                return pool.get()
            except StoreError as exc:
                # A rotation closed this pool between the check and the get: once more,
                # on the new pool; a pool closed by Lock now stays closed.
                if attempt == 2 or (self._pool is pool and not self._rotating):
                    raise Sealed(N_("the store is locked")) from exc
        raise AssertionError("unreachable")

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

    def recovery_used(self, conn: Connection) -> int | None:
        state = vault_state.read(conn)
        return state.recovery_used_at if state else None


def check_instance(instance: Path) -> None:
    """Fail with a clear message when the instance folder is missing or not usable."""
    if not instance.exists():
        raise StoreError(N_("the instance folder {instance} does not exist"), instance=instance)
    if not instance.is_dir():
        raise StoreError(N_("the instance path {instance} is not a folder"), instance=instance)
    try:
        next(instance.iterdir(), None)
    except OSError as exc:
        raise StoreError(
            N_("the instance folder {instance} cannot be read"), instance=instance
        ) from exc
