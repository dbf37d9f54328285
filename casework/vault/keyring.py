"""The slot file on disk and what changes it: create, open, add, replace, remove, rotate.

Every change leaves something that opens, whenever the process is killed:

- adding or replacing a slot keeps the master key: the store records the slot first, then
  the new file (epoch + 1) replaces the old one atomically, then the store records the
  epoch. A crash in between leaves the old file (the new slot is simply not there yet) or
  the new one (newer than the store's record, which is accepted and brought up).
- rotating (a new master key) writes the next file to ``store.slots.new`` first, then
  ``PRAGMA rekey`` re-encrypts every page in one transaction, then the store records the
  new epoch and the new file replaces the old one. Opening while ``store.slots.new``
  exists tries both files: whichever opens the store is the right one; the other goes.
- a store made before key slots (``store.salt``, a key derived from the passphrase)
  is upgraded at its first unlock the same way: a random master key, ``PRAGMA rekey``,
  the passphrase (or key file) becomes a slot and a recovery key is made.

A file older than the epoch the store records (rolled back), from another store, or
edited, is refused with a message that says which.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from casework.rules import recovery_key
from casework.rules.wording import N_
from casework.store import vault_state
from casework.store.db import Connection, WrongKey, checkpoint, connect, rekey
from casework.store.migrations import migrate
from casework.vault import keys, slots

SALT_FILE = "store.salt"
PENDING_SALT_FILE = "store.salt.new"


@dataclass
class Unlocked:
    """A master key that opens the store, with the slot file it came from."""

    master: bytearray
    file: slots.SlotFile
    slot: slots.Slot
    # Written form of a recovery key made by this step (upgrade): show it once.
    new_recovery_key: str | None = None


class Keyring:
    """The key files of one instance folder (the slot file and, before upgrade, the salt)."""

    def __init__(self, instance: Path, store_path: Path) -> None:
        self.instance = instance
        self.store_path = store_path
        self.slot_path = instance / slots.SLOT_FILE
        self.pending_path = instance / slots.PENDING_SLOT_FILE
        self.salt_path = instance / SALT_FILE
        self.pending_salt_path = instance / PENDING_SALT_FILE

    @property
    def exists(self) -> bool:
        return self.slot_path.exists() or self.salt_path.exists()

    @property
    def legacy(self) -> bool:
        """A store made before key slots: its key comes from the salt file and a passphrase."""
        return not self.slot_path.exists() and self.salt_path.exists()

    @property
    def legacy_key_file(self) -> bool:
        return self.legacy and keys.keyed_by_key_file(self.salt_path)

    def kinds(self) -> set[str]:
        """The kinds of slot this store has (empty before upgrade)."""
        if self.legacy:
            return {slots.KEY_FILE} if self.legacy_key_file else {slots.OPERATOR}
        return {slot.kind for slot in slots.read(self.slot_path).slots}

    # --- creating ---------------------------------------------------------------------

    def create(
        self,
        now: int,
        params: keys.KdfParams,
        passphrase: str | None = None,
        key_file: bytes | None = None,
    ) -> tuple[bytearray, str]:
        """A new master key, slot file and empty store; returns (master, recovery key)."""
        if self.exists or self.store_path.exists():
            raise keys.KeyProblem(
                N_("a store already exists in {instance}: refusing to touch it"),
                instance=self.instance,
            )
        master, file, written = new_file(now, params, passphrase, key_file)
        slots.write(self.slot_path, file)
        conn = connect(self.store_path, master)
        try:
            migrate(conn, now)
            start_over(conn, file, now)
        finally:
            conn.close()
        return master, written

    def install(
        self, work: Path, work_key: bytearray, now: int, params: keys.KdfParams, **credential
    ) -> tuple[bytearray, str]:
        """Make the store file ``work`` (keyed with ``work_key``, e.g. a restored backup) the
        store, under a new master key and a new slot file; returns (master, recovery key).

        The new slot file is written as pending first, then ``work`` replaces the store
        file: a crash before that leaves the old store opening as before, after it the
        pending file opens the new one.
        """
        master, file, written = new_file(now, params, **credential)
        _rekey_to(work, work_key, master, file, now)
        slots.write(self.pending_path, file)
        for suffix in ("-wal", "-shm"):  # a stale journal must not meet the new file
            Path(f"{self.store_path}{suffix}").unlink(missing_ok=True)
        os.replace(work, self.store_path)
        keys.fsync_dir(self.instance)
        self._settle_new_file()
        return master, written

    # --- opening ----------------------------------------------------------------------

    def open(self, credential: slots.Credential, now: int, params: keys.KdfParams) -> Unlocked:
        """The master key behind ``credential``; WrongKey when it opens nothing.

        Settles an interrupted rotation or upgrade, checks the file against the store's
        record, and upgrades a store made before key slots.
        """
        if self.legacy:
            return self._open_legacy(credential, now, params)
        candidates = [(self.slot_path, slots.read(self.slot_path))]
        if self.pending_path.exists():
            with contextlib.suppress(slots.SlotProblem):  # cut short by a crash: ignored
                candidates.insert(0, (self.pending_path, slots.read(self.pending_path)))
        edited: slots.SlotProblem | None = None
        for path, file in candidates:
            try:
                opened = slots.open_file(file, credential)
            except slots.SlotProblem as exc:
                edited = exc
                continue
            if opened is None:
                continue
            try:
                conn = connect(self.store_path, opened.master)
            except WrongKey:
                keys.wipe(opened.master)
                continue  # the other file's key is the store's
            try:
                self._check_against_store(conn, file, now)
                if path == self.pending_path:
                    os.replace(self.pending_path, self.slot_path)
                    keys.fsync_dir(self.instance)
                    self._settle_after(conn, file)
                elif self.pending_path.exists():
                    self.pending_path.unlink()
                    keys.fsync_dir(self.instance)
            except BaseException:
                keys.wipe(opened.master)
                raise
            finally:
                conn.close()
            return Unlocked(opened.master, file, opened.slot)
        if edited is not None:
            raise edited
        raise WrongKey(N_("the credential does not open this store"))

    def _check_against_store(self, conn: Connection, file: slots.SlotFile, now: int) -> None:
        migrate(conn, now)  # a store made by an older version gets the slot tables first
        state = vault_state.read(conn)
        if state is None:
            raise slots.SlotProblem(
                N_("the store does not know its slot file: restore from a backup")
            )
        if state.store_id != file.store_id:
            raise slots.SlotProblem(N_("this slot file belongs to another store"))
        if file.epoch < state.slot_epoch:
            raise slots.SlotProblem(
                N_("this slot file is older than the store (rolled back): put back the current one")
            )
        if file.epoch > state.slot_epoch:
            self._settle_after(conn, file)

    @staticmethod
    def _settle_after(conn: Connection, file: slots.SlotFile) -> None:
        vault_state.record(conn, file.store_id, file.epoch)
        vault_state.keep_only(conn, {slot.id for slot in file.slots})

    def _open_legacy(self, credential: slots.Credential, now: int, params) -> Unlocked:
        old_key = self._legacy_key(credential)
        try:
            return self._upgrade(old_key, credential, now, params)
        finally:
            keys.wipe(old_key)

    def _legacy_key(self, credential: slots.Credential) -> bytearray:
        key_file = keys.keyed_by_key_file(self.salt_path)
        if key_file != (credential.kind == slots.KEY_FILE):
            kind = "its key file" if key_file else "its passphrase"
            raise keys.KeyProblem(N_("this store opens with {kind}"), kind=kind)
        if key_file:
            key = bytearray(credential.secret)
            _prove(self.store_path, key)
            return key
        salt, salt_params = keys.read_salt_file(self.salt_path)
        key = keys.derive_raw(credential.secret, salt, salt_params)
        try:
            _prove(self.store_path, key)
        except WrongKey:
            keys.wipe(key)
            raise
        return key

    def _upgrade(self, old_key: bytearray, credential, now: int, params) -> Unlocked:
        """A random master key replaces the derived one; the passphrase becomes a slot."""
        master, file, written = new_file(now, params, **_as_new(credential))
        slots.write(self.pending_path, file)
        _rekey_to(self.store_path, old_key, master, file, now)
        self._settle_new_file()
        return Unlocked(master, file, file.slots[0], new_recovery_key=written)

    def _settle_new_file(self) -> None:
        """The pending slot file is the store's now; a salt file from before goes."""
        os.replace(self.pending_path, self.slot_path)
        for leftover in (self.salt_path, self.pending_salt_path):
            leftover.unlink(missing_ok=True)
        keys.fsync_dir(self.instance)

    # --- changing, with the store open --------------------------------------------------

    def add(
        self,
        conn: Connection,
        master: bytes | bytearray,
        file: slots.SlotFile,
        entries: list[tuple[slots.Credential, int | None, str | None]],
        now: int,
        params: keys.KdfParams,
    ) -> tuple[slots.SlotFile, list[slots.Slot]]:
        """Add a slot per (credential, owner's user id, slot id it replaces): same master
        key, one new file for all of them.
        """
        made = [_new(credential, file.store_id, now, params) for credential, _, _ in entries]
        for slot, (_, user_id, _) in zip(made, entries, strict=True):
            vault_state.add_slot(conn, slot.id, slot.kind, user_id, now)
        kept = file.without(replaced for _, _, replaced in entries if replaced)
        nxt = slots.seal(replace(kept, slots=(*kept.slots, *made)), master, file.epoch + 1)
        slots.write(self.slot_path, nxt)
        self._settle_after(conn, nxt)
        return nxt, made

    def rotate(
        self, conn: Connection, master: bytes | bytearray, file: slots.SlotFile, remove=()
    ) -> tuple[bytearray, slots.SlotFile]:
        """A new master key sealed to every slot but ``remove``; ``conn`` is re-keyed.

        ``conn`` must be the only open connection to the store (the caller drains and
        closes the others). Returns the new master key and file.
        """
        new_master = bytearray(secrets.token_bytes(slots.MASTER_BYTES))
        nxt = slots.seal(file.without(remove), new_master, file.epoch + 1)
        try:
            slots.write(self.pending_path, nxt)
            checkpoint(conn)
            rekey(conn, new_master)
        except BaseException:
            # Nothing committed: the old key and file still open the store.
            self.pending_path.unlink(missing_ok=True)
            keys.wipe(new_master)
            raise
        checkpoint(conn)
        self._settle_after(conn, nxt)
        checkpoint(conn)
        os.replace(self.pending_path, self.slot_path)
        keys.fsync_dir(self.instance)
        return new_master, nxt

    def touch(self, file: slots.SlotFile, slot_id: str, now: int) -> slots.SlotFile:
        """Record when a slot was last used (outside the MAC: no key needed)."""
        used = tuple(replace(s, last_used=now) if s.id == slot_id else s for s in file.slots)
        nxt = replace(file, slots=used)
        with contextlib.suppress(OSError):  # a full disk must not stop an unlock
            slots.write(self.slot_path, nxt)
        return nxt


def new_file(
    now: int, params: keys.KdfParams, passphrase: str | None = None, key_file: bytes | None = None
) -> tuple[bytearray, slots.SlotFile, str]:
    """A new master key and slot file (operator and/or key-file slot, a recovery key)."""
    master = bytearray(secrets.token_bytes(slots.MASTER_BYTES))
    store_id = slots.new_store_id()
    recovery = recovery_key.new()
    made = []
    if passphrase is not None:
        made.append(_new(slots.operator(passphrase), store_id, now, params))
    if key_file is not None:
        made.append(_new(slots.key_file(key_file), store_id, now, params))
    made.append(_new(slots.recovery(recovery), store_id, now, params))
    written = recovery_key.encode(recovery)
    keys.wipe(recovery)
    return master, slots.seal(slots.SlotFile(store_id, 1, tuple(made)), master, 1), written


def start_over(conn: Connection, file: slots.SlotFile, now: int) -> None:
    """The store's record of its slots, anew: this file's id and epoch, its slots."""
    vault_state.reset(conn, file.store_id, file.epoch)
    for slot in file.slots:
        vault_state.add_slot(conn, slot.id, slot.kind, None, now)


def _new(credential: slots.Credential, store_id: str, now: int, params) -> slots.Slot:
    kdf = params if credential.kind in slots.STRETCHED else None
    return slots.new_slot(
        credential.kind,
        lambda slot: slots.stretch(credential, store_id, replace(slot, kdf=kdf)),
        store_id,
        now,
        kdf,
    )


def _rekey_to(path: Path, old_key, master, file: slots.SlotFile, now: int) -> None:
    """Re-encrypt the store file at ``path`` under ``master`` (one transaction) and give
    it ``file``'s record of the slots."""
    conn = connect(path, old_key)
    try:
        checkpoint(conn)
        rekey(conn, master)
        checkpoint(conn)
    finally:
        conn.close()
    conn = connect(path, master)
    try:
        migrate(conn, now)
        start_over(conn, file, now)
        checkpoint(conn)
    finally:
        conn.close()


def _as_new(credential: slots.Credential) -> dict:
    if credential.kind == slots.KEY_FILE:
        return {"key_file": credential.secret}
    return {"passphrase": credential.secret.decode("utf-8")}


def _prove(path: Path, key: bytearray) -> None:
    connect(path, key).close()
