"""Key slots in a running server: a coordinator's own sign-in unseals the store, slots
follow passwords, and removing a coordinator rotates the master key while serving.

Unsealing as a coordinator is one step: the pseudonym and password open the coordinator's
slot (one Argon2id derivation), then their second-factor code is checked inside the store
before anything is served; a wrong code drops the key at once and counts as a failed
unlock. Attempts are throttled per address and per pseudonym (hashed) in memory, and a
wrong code also counts against the account in the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask

from casework.rules import recovery_key
from casework.store import WrongKey, audit, second_factor, signin_failures, users, vault_state
from casework.store.db import connect
from casework.store.users import User
from casework.vault import keys, slots
from casework.vault.store import Sealed, Store
from casework.web import cards, parts
from casework.web.context import app_now, get_db
from casework.web.lifecycle import UnlockOutcome, open_store, state

log = logging.getLogger("casework")


@dataclass
class CoordinatorUnlock(UnlockOutcome):
    """An unlock by a coordinator: ``user`` is the person to sign in on success."""

    user: User | None = None


def params(app: Flask) -> keys.KdfParams:
    return keys.KdfParams.from_settings(app.config["CASEWORK"])


def _store(app: Flask) -> Store:
    return app.extensions["casework_store"]


def _handle_key(handle: str) -> str:
    return "pseudonym\0" + handle.strip().casefold()


def unlock_as_coordinator(
    app: Flask, handle: str, password: str, code: str, address: str
) -> CoordinatorUnlock:
    """Unseal with a coordinator's slot and second factor; one unlock at a time."""
    lifecycle, store, now = state(app), _store(app), app_now(app)
    throttle, pseudonyms = lifecycle.throttle, lifecycle.pseudonyms
    wait = max(
        throttle.wait_seconds(address, now), pseudonyms.wait_seconds(_handle_key(handle), now)
    )
    if wait:
        log.warning(
            "unlock refused by the throttle (%d refused)", throttle.refused + pseudonyms.refused
        )
        return CoordinatorUnlock("throttled", wait)
    if not lifecycle.unlocking.acquire(blocking=False):
        return CoordinatorUnlock("busy")
    try:
        if not store.sealed:
            return CoordinatorUnlock("unsealed")
        try:
            master = store.open(slots.coordinator(handle, password), params(app))
        except (WrongKey, keys.KeyProblem):
            return _failed(app, address, handle, now)
        slot = store.opened.slot
        user = _second_step(store, master, slot.id, handle, code, now)
        if user is None:
            keys.wipe(master)  # sealed again at once: nothing was served
            return _failed(app, address, handle, now)
        if not open_store(app, master, slot.id):
            return CoordinatorUnlock("disk full")
        throttle.clear(address)
        pseudonyms.clear(_handle_key(handle))
        log.info("unlocked by a coordinator's slot")
        return CoordinatorUnlock(user=user)
    finally:
        lifecycle.unlocking.release()


def _failed(app: Flask, address: str, handle: str, now: int) -> CoordinatorUnlock:
    throttle = state(app).throttle
    throttle.record_failure(address, now)
    state(app).pseudonyms.record_failure(_handle_key(handle), now)
    log.warning("unlock failed (%d failure(s) so far)", throttle.failures)
    return CoordinatorUnlock("wrong")


def _second_step(
    store: Store, master: bytearray, slot_id: str, handle: str, code: str, now: int
) -> User | None:
    """The coordinator behind the slot, if active and their code is right."""
    conn = connect(store.path, master)
    try:
        found = users.credentials(conn, handle)
        if found is None:
            return None
        user = found[0]
        owner = vault_state.owner(conn, slot_id)
        if not user.active or user.role != "coordinator" or owner not in (None, user.id):
            return None
        if not second_factor.matches(conn, user.id, code, now):
            signin_failures.record(conn, user.id, now)
            audit.record(conn, now, user.id, "unlock.failed", "second_factor")
            return None
        return user
    finally:
        conn.close()


def refresh(app: Flask, user: User, password: str, *, changed: bool = False) -> None:
    """After a coordinator typed or set their password: give them a slot if they have
    none, or one of an older cost, or (``changed``) one for the new password.

    Never fails the sign-in or the password change: a slot that cannot be written (a full
    disk) is logged and tried again at the next sign-in.
    """
    store = _store(app)
    if user.role != "coordinator" or not user.active or store.sealed:
        return
    current = vault_state.slot_of(get_db(), user.id)
    if current is not None and not changed and _costly_enough(store, current, params(app)):
        return
    try:
        store.add_slot(
            slots.coordinator(user.handle, password), params(app), user_id=user.id, replaces=current
        )
    except (OSError, Sealed) as exc:
        log.warning("a coordinator slot was not written: %s", type(exc).__name__)


def _costly_enough(store: Store, slot_id: str, wanted: keys.KdfParams) -> bool:
    file = store.slot_file
    slot = next((s for s in file.slots if s.id == slot_id), None) if file else None
    if slot is None or slot.kdf is None:
        return False
    have = slot.kdf
    return (have.time_cost, have.memory_kib) >= (wanted.time_cost, wanted.memory_kib)


def remove_and_rotate(app: Flask, user_id: int) -> bool:
    """A coordinator leaves (deactivated, or now a volunteer): their slot goes and the
    master key is rotated, so an old copy of the slot file opens nothing. False when the
    rotation could not be done (the slot file and key are then as they were).
    """
    slot_id = vault_state.slot_of(get_db(), user_id)
    return rotate(app, (slot_id,) if slot_id else ())


def rotate(app: Flask, remove: tuple[str, ...] = ()) -> bool:
    """A new master key sealed to every slot but ``remove``; rendered cards and parts are
    dropped."""

    def forget() -> None:
        cards.forget(app)
        parts.forget(app)

    try:
        _store(app).rotate(remove, after=forget)
    except (OSError, Sealed) as exc:
        log.error("the key was not rotated: %s", type(exc).__name__)
        return False
    log.info("the master key was rotated (%d slot(s) removed)", len(remove))
    return True


def new_recovery_key(app: Flask) -> str:
    """Replace the recovery key (the old one stops working at once); its written form."""
    store = _store(app)
    old = [slot.id for slot in store.slot_file.of_kind(slots.RECOVERY)]
    fresh = recovery_key.new()
    try:
        store.add_slot(slots.recovery(fresh), params(app), replaces=old[0] if old else None)
        vault_state.recovery_used(get_db(), None)
        return recovery_key.encode(fresh)
    finally:
        keys.wipe(fresh)


def unlockers(app: Flask) -> set[int]:
    """Ids of the people whose own sign-in can unseal the store."""
    file = _store(app).slot_file
    in_file = {slot.id for slot in file.slots} if file else set()
    return {
        row["user_id"]
        for row in vault_state.slots(get_db())
        if row["user_id"] is not None and row["slot_id"] in in_file
    }
