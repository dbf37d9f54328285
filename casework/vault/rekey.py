"""Passphrase rotation that a crash at any point cannot turn into a lost store.

The salt file and the store file are two files, so the change happens in steps that each
leave something that opens:

1. checkpoint: the whole store is in ``casework.db``, the -wal file is empty;
2. the new salt goes to ``store.salt.new`` (fsync): the store still opens with the old
   passphrase and ``store.salt``; a half-written new file is ignored;
3. ``PRAGMA rekey`` re-encrypts every page in one transaction (in WAL mode, one commit
   frame): before the commit the old key opens it, after it the new one does;
4. checkpoint again, then prove that the new key opens the store and the old one does not;
5. rename ``store.salt.new`` over ``store.salt`` (atomic, fsync of the folder).

Opening while ``store.salt.new`` exists tries both salts (``Store.key_for``) and finishes
or undoes the rename, so the old passphrase works until step 3 commits and the new one from
then on.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from casework.store import StoreError, WrongKey
from casework.store.db import checkpoint, connect, rekey
from casework.vault import keys
from casework.vault.store import Store

Step = Callable[[str], None]


def change_passphrase(
    store: Store, current: str, new: str, params: keys.KdfParams, step: Step
) -> None:
    """Re-encrypt ``store`` under a key derived from ``new`` with a new salt."""
    keys.check_passphrase(new)
    if new == current:
        raise keys.KeyProblem("the new passphrase is the same as the current one")
    old_key = store.key_for(current)  # also settles a change that was interrupted earlier
    new_key: bytearray | None = None
    try:
        conn = connect(store.path, old_key)
        try:
            step("checkpoint")
            checkpoint(conn)
            new_salt = keys.write_salt_file(store.pending_salt_path, params)
            new_key = keys.derive_key(new, new_salt, params)
            step("re-encrypting every page")
            rekey(conn, new_key)
            checkpoint(conn)
        finally:
            conn.close()
        step("verifying")
        _prove_rotation(store, old_key, new_key)
        os.replace(store.pending_salt_path, store.salt_path)
        keys.fsync_dir(store.instance)
        step("done")
    finally:
        keys.wipe(old_key)
        keys.wipe(new_key)


def _prove_rotation(store: Store, old_key: bytearray, new_key: bytearray) -> None:
    store.prove(new_key)
    try:
        store.prove(old_key)
    except WrongKey:
        return
    raise StoreError("the old passphrase still opens the store: the change did not happen")
