"""Changing the operator passphrase: its slot is replaced, the master key stays.

The new slot file (the operator slot made anew from the new passphrase, every other slot
as it was) replaces the old one atomically, so a crash at any point leaves a store that
opens with the old passphrase or the new one. A copy of the old slot file still opens
with the old passphrase: ``casework rotate`` makes every old copy useless.
"""

from __future__ import annotations

from collections.abc import Callable

from casework.rules.wording import N_
from casework.vault import keys, slots
from casework.vault.store import Store

Step = Callable[[str], None]


def change_passphrase(
    store: Store, current: str, new: str, params: keys.KdfParams, step: Step
) -> None:
    """Open with ``current`` (the operator passphrase or the recovery key), then give
    the operator slot the passphrase ``new``.
    """
    keys.check_passphrase(new)
    if new == current:
        raise keys.KeyProblem(N_("the new passphrase is the same as the current one"))
    step(N_("opening"))
    store.unlock(store.key_for(current, params))
    try:
        step(N_("writing the new slot"))
        old = [slot.id for slot in store.slot_file.of_kind(slots.OPERATOR)]
        store.add_slot(slots.operator(new), params, replaces=old[0] if old else None)
        step(N_("verifying"))
        check = Store(store.instance)
        keys.wipe(check.key_for(new, params))
    finally:
        store.lock()
    step(N_("done"))
