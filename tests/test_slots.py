"""Key slots on their own: the recovery key's written form, the slot file's cryptography.

The store-level behaviour (unlocking, rotation, upgrade) is in test_key_slots.py.
"""

from __future__ import annotations

import base64
import dataclasses
import errno
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.rules import recovery_key
from casework.rules.codes import ALPHABET, check_symbol
from casework.vault import keys, slots

CHEAP = keys.KdfParams(time_cost=1, memory_kib=8, parallelism=1)
MASTER = bytes(range(32))


def make_file(credentials, store_id="a" * 32, epoch=1, master=MASTER, params=CHEAP):
    made = [
        slots.new_slot(
            c.kind,
            lambda slot, c=c: slots.stretch(c, store_id, dataclasses.replace(slot, kdf=params)),
            store_id,
            1_800_000_000,
            params,
        )
        for c in credentials
    ]
    return slots.seal(slots.SlotFile(store_id, epoch, tuple(made)), master, epoch)


# --- the recovery key ----------------------------------------------------------------


@given(st.binary(min_size=32, max_size=32))
def test_a_recovery_key_reads_back_to_its_bytes_however_it_is_typed(key):
    written = recovery_key.encode(key)
    assert len(written.split("-")) == 9 and all(len(g) == 6 for g in written.split("-"))
    assert recovery_key.decode(written) == key
    assert recovery_key.decode(written.replace("-", "").lower()) == key
    assert recovery_key.decode(" ".join(written.split("-"))) == key


@given(st.binary(min_size=32, max_size=32), st.integers(0, 53), st.sampled_from(ALPHABET))
def test_one_mistyped_symbol_says_check_the_recovery_key(key, position, symbol):
    written = recovery_key.encode(key).replace("-", "")
    if written[position] == symbol:
        return
    typo = written[:position] + symbol + written[position + 1 :]
    with pytest.raises(recovery_key.RecoveryKeyTypo, match="check the recovery key"):
        recovery_key.decode(typo)


@given(st.binary(min_size=32, max_size=32), st.integers(0, 52))
def test_two_swapped_neighbours_in_a_half_are_caught(key, position):
    written = recovery_key.encode(key).replace("-", "")
    if position == recovery_key.HALF or written[position] == written[position + 1]:
        return  # across the two halves' boundary, or nothing changes
    swapped = (
        written[:position] + written[position + 1] + written[position] + written[position + 2 :]
    )
    with pytest.raises(recovery_key.RecoveryKeyTypo):
        recovery_key.decode(swapped)


@pytest.mark.parametrize(
    "typed", ["", "x" * 300, "0" * 54, "ABC", "\ud800" * 54, "A" * 53, "A" * 55]
)
def test_anything_else_is_not_a_recovery_key(typed):
    assert not recovery_key.looks_like(typed) or len(typed) == 54
    with pytest.raises(recovery_key.RecoveryKeyTypo):
        recovery_key.decode(typed)


def _written(number: int) -> str:
    """The written form of any 52-symbol number, with the check symbol of each half."""
    symbols = []
    for _ in range(recovery_key.DATA_SYMBOLS):
        number, value = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[value])
    data = "".join(reversed(symbols))
    first, second = data[: recovery_key.HALF], data[recovery_key.HALF :]
    return first + check_symbol(first) + second + check_symbol(second)


def test_a_written_number_beyond_32_bytes_is_not_a_recovery_key():
    assert recovery_key.decode(_written(2**256 - 1)) == b"\xff" * 32
    with pytest.raises(recovery_key.RecoveryKeyTypo):
        recovery_key.decode(_written(2**256))


@pytest.mark.parametrize(
    "typed",
    [
        "A" * 53,  # a symbol missing
        _written(12345)[:-1] + ("2" if _written(12345)[-1] != "2" else "3"),  # wrong check
        _written(2**256),  # more than 32 bytes
        "0" * 54,  # not in the alphabet
    ],
    ids=["short", "check", "too-large", "alphabet"],
)
def test_every_mistyped_recovery_key_is_reported_in_the_same_words(typed):
    with pytest.raises(recovery_key.RecoveryKeyTypo) as typo:
        recovery_key.decode(typed)
    assert str(typo.value) == "check the recovery key"


def test_a_recovery_key_typed_with_up_to_200_characters_is_read():
    key = bytes(range(32))
    written = recovery_key.encode(key)
    assert recovery_key.decode(written.center(200)) == key
    with pytest.raises(recovery_key.RecoveryKeyTypo):
        recovery_key.decode(written.center(201))
    assert not recovery_key.looks_like(None)


def test_recovery_keys_are_random():
    assert len({bytes(recovery_key.new()) for _ in range(50)}) == 50


# --- the slot file ------------------------------------------------------------------


def test_each_credential_opens_its_own_slot_and_nothing_else():
    people = [slots.coordinator(f"coord{i}", f"password of person {i}") for i in range(3)]
    rk = bytes(recovery_key.new())
    file = make_file([*people, slots.operator("operator passphrase"), slots.recovery(rk)])
    for credential in [*people, slots.operator("operator passphrase"), slots.recovery(rk)]:
        opened = slots.open_file(slots.loads(slots.dumps(file)), credential)
        assert opened is not None and bytes(opened.master) == MASTER
        assert opened.slot.kind == credential.kind
    wrong = [
        slots.coordinator("coord0", "password of person 1"),
        slots.coordinator("coord1", "password of person 0"),
        slots.coordinator("nobody", "password of person 0"),
        slots.operator("another passphrase"),
        slots.recovery(bytes(32)),
    ]
    for credential in wrong:
        assert slots.open_file(file, credential) is None


def test_the_pseudonym_is_read_as_typed_at_sign_in():
    file = make_file([slots.coordinator("River", "a long password here")])
    assert slots.open_file(file, slots.coordinator(" river ", "a long password here"))


def test_one_attempt_costs_one_derivation_whatever_the_number_of_slots():
    people = [slots.coordinator(f"c{i}", f"password number {i}") for i in range(20)]
    file = make_file(people)
    before = keys.derivation_count()
    assert slots.open_file(file, people[-1]) is not None
    assert keys.derivation_count() - before == 1
    before = keys.derivation_count()
    assert slots.open_file(file, slots.coordinator("c0", "wrong")) is None
    assert keys.derivation_count() - before == 1


def test_two_operator_passphrases_each_open_the_store():
    # Each operator slot has its own random salt: the derivation for one opens only it.
    first, second = slots.operator("the first long passphrase"), slots.operator("a second one")
    file = make_file([first, second])
    for credential in (first, second):
        opened = slots.open_file(file, credential)
        assert opened is not None and opened.master == MASTER
    before = keys.derivation_count()
    assert slots.open_file(file, slots.operator("neither of them")) is None
    assert keys.derivation_count() - before == 2  # one per salt, none wasted


def test_the_file_names_nobody():
    file = make_file([slots.coordinator("riverhandle", "a long password here")])
    text = slots.dumps(file)
    assert b"riverhandle" not in text and b"a long password" not in text
    assert bytes(MASTER).hex().encode() not in text and MASTER not in text


def test_salts_and_nonces_never_repeat():
    file = make_file([slots.coordinator("same", "same password here")] * 30)
    salts = [slot.salt for slot in file.slots]
    nonces = [slot.private_box[: slots.NONCE_BYTES] for slot in file.slots]
    encs = [slot.sealed[:32] for slot in file.slots]  # HPKE's ephemeral public keys
    assert len(set(salts)) == len(set(nonces)) == len(set(encs)) == 30
    resealed = slots.seal(file, MASTER, 2)
    assert not {s.sealed[:32] for s in resealed.slots} & set(encs)


def refused(file, credential) -> bool:
    """Opening gives nothing, or says the file was edited; never the master key."""
    try:
        return slots.open_file(file, credential) is None
    except slots.SlotProblem:
        return True


def edited(file, **changes):
    first = dataclasses.replace(file.slots[0], **changes)
    return dataclasses.replace(file, slots=(first, *file.slots[1:]))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda f: dataclasses.replace(f, epoch=f.epoch + 1),  # epoch changed
        lambda f: dataclasses.replace(f, store_id="b" * 32),  # another store's id
        lambda f: edited(f, kind="recovery"),  # a slot passed off as another kind
        lambda f: edited(f, id="0" * 16),  # renamed
        lambda f: dataclasses.replace(f, slots=f.slots[:1]),  # other slots dropped
        lambda f: dataclasses.replace(f, mac=bytes(32)),
    ],
)
def test_an_edited_file_is_refused_not_opened(tamper):
    credential = slots.operator("operator passphrase")
    file = make_file([credential, slots.coordinator("x", "another password")])
    assert slots.open_file(file, credential) is not None
    assert refused(tamper(file), credential)


def test_a_slot_moved_into_another_stores_file_does_not_open():
    credential = slots.operator("operator passphrase")
    ours = make_file([credential], store_id="a" * 32)
    theirs = make_file([slots.operator("x" * 20)], store_id="b" * 32, master=bytes(32))
    mixed = dataclasses.replace(theirs, slots=(ours.slots[0], *theirs.slots))
    assert refused(mixed, credential)


@pytest.mark.parametrize(
    "data", [b"", b"{", b'{"format": "other"}', b"\x00" * 100, b'{"format": "casework-slots-1"}']
)
def test_a_damaged_file_says_so(data):
    with pytest.raises(slots.SlotProblem) as raised:
        slots.loads(data)
    assert str(raised.value) == "the slot file is damaged or cut short"


def test_a_truncated_file_says_so():
    data = slots.dumps(make_file([slots.operator("operator passphrase")]))
    for cut in (len(data) // 3, len(data) // 2, len(data) - 5):
        with pytest.raises(slots.SlotProblem):
            slots.loads(data[:cut])


def test_the_file_is_written_atomically_and_private(tmp_path):
    path = tmp_path / slots.SLOT_FILE
    file = make_file([slots.operator("operator passphrase")])
    loose = os.umask(0)  # private by its own mode, whatever the operator's umask
    try:
        slots.write(path, file)
    finally:
        os.umask(loose)
    assert path.stat().st_mode & 0o777 == 0o600
    assert slots.read(path) == file
    assert [p.name for p in tmp_path.iterdir()] == [slots.SLOT_FILE]  # no temporary left


def test_only_32_bytes_make_a_recovery_key():
    with pytest.raises(ValueError, match=r"^a recovery key is 32 bytes$"):
        recovery_key.encode(bytes(31))


# --- what an operator reads, and what is left in memory ---------------------------------

EDITED = "the slot file was edited or mixed with another one"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda f: dataclasses.replace(f, epoch=f.epoch + 1),  # the sealed key does not open
        lambda f: dataclasses.replace(f, mac=bytes(32)),  # the key opens, the MAC fails
    ],
)
def test_an_edited_file_is_named_as_such(tamper):
    credential = slots.operator("operator passphrase")
    file = make_file([credential])
    with pytest.raises(slots.SlotProblem) as raised:
        slots.open_file(tamper(file), credential)
    assert str(raised.value) == raised.value.template == EDITED


def test_a_file_checked_under_another_key_is_named_as_edited():
    file = make_file([slots.operator("operator passphrase")])
    slots.verify(file, MASTER)  # its own key: nothing to say
    with pytest.raises(slots.SlotProblem) as raised:
        slots.verify(file, bytes(32))
    assert str(raised.value) == EDITED


def test_a_missing_or_unreadable_slot_file_is_named(tmp_path):
    missing = tmp_path / slots.SLOT_FILE
    with pytest.raises(slots.SlotProblem) as raised:
        slots.read(missing)
    assert (
        str(raised.value)
        == f"the slot file {slots.SLOT_FILE} is missing: the store cannot be opened"
    )
    assert raised.value.values == {"name": slots.SLOT_FILE}
    missing.mkdir()  # there, but not a file that reads
    with pytest.raises(slots.SlotProblem) as raised:
        slots.read(missing)
    assert str(raised.value) == f"the slot file {slots.SLOT_FILE} cannot be read"
    assert raised.value.values == {"name": slots.SLOT_FILE}


def test_opening_gives_the_file_it_was_opened_from():
    credential = slots.operator("operator passphrase")
    file = make_file([credential])
    opened = slots.open_file(file, credential)
    assert opened is not None and opened.file is file


def test_when_each_slot_was_last_used_survives_writing_and_reading():
    file = make_file([slots.operator("operator passphrase"), slots.coordinator("x", "a password!")])
    used = dataclasses.replace(file.slots[0], last_used=1_800_000_123)
    file = dataclasses.replace(file, slots=(used, file.slots[1]))
    back = slots.loads(slots.dumps(file))
    assert [slot.last_used for slot in back.slots] == [1_800_000_123, None]
    assert back == file


@pytest.mark.parametrize("field", ["salt", "public_key", "private_box", "sealed", "mac"])
def test_a_stray_character_in_a_binary_field_is_damage_not_ignored(field):
    # Base64 decoding that skips what is not base64 would read an edited file as whole.
    body = json.loads(slots.dumps(make_file([slots.operator("operator passphrase")])))
    holder = body if field == "mac" else body["slots"][0]
    holder[field] = "*" + holder[field]
    with pytest.raises(slots.SlotProblem, match="damaged"):
        slots.loads(json.dumps(body).encode())


def _wiped_buffers(monkeypatch) -> list:
    """Every buffer handed to keys.wipe from now on, after it was wiped."""
    wiped, real = [], keys.wipe

    def recording(buffer):
        real(buffer)
        wiped.append(buffer)

    monkeypatch.setattr(keys, "wipe", recording)
    return wiped


def test_the_private_key_decrypted_from_a_slot_is_overwritten_once_used(monkeypatch):
    credential = slots.operator("operator passphrase")
    file = make_file([credential])
    wiped = _wiped_buffers(monkeypatch)
    opened = slots.open_file(file, credential)
    assert opened is not None and bytes(opened.master) == MASTER  # the caller's to wipe
    assert wiped and all(isinstance(b, bytearray) and len(b) == 32 and not any(b) for b in wiped)


def test_the_master_key_of_an_edited_file_is_overwritten_before_refusing(monkeypatch):
    credential = slots.operator("operator passphrase")
    file = dataclasses.replace(make_file([credential]), mac=bytes(32))
    wiped = _wiped_buffers(monkeypatch)
    with pytest.raises(slots.SlotProblem):
        slots.open_file(file, credential)
    assert len(wiped) == 2  # the slot's private key, then the master key it opened
    assert all(isinstance(b, bytearray) and len(b) == 32 and not any(b) for b in wiped)


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "wizard"), ("public_key", base64.b64encode(bytes(31)).decode())],
)
def test_a_slot_of_no_known_kind_or_with_a_short_key_is_damage(field, value):
    body = json.loads(slots.dumps(make_file([slots.operator("operator passphrase")])))
    body["slots"][0][field] = value  # each alone: the rest of the slot is whole
    with pytest.raises(slots.SlotProblem, match="damaged"):
        slots.loads(json.dumps(body).encode())


def test_a_store_id_is_128_random_bits_in_hex():
    ids = {slots.new_store_id() for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_a_full_disk_while_writing_the_file_is_reported_as_such(tmp_path, monkeypatch):
    # The temporary file could not even be created: the error is the disk's, not a
    # missing temporary file's, so that the operator is told the disk is full.
    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(slots.os, "open", full)
    with pytest.raises(OSError) as raised:
        slots.write(tmp_path / slots.SLOT_FILE, make_file([slots.operator("operator passphrase")]))
    assert raised.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


# --- the file format stays readable ------------------------------------------------------

# A slot file written by this version (tests/data/slot-file-1.json, test secrets only,
# cheap costs): every later version must open it with the same credentials, so the
# derivations, bindings and MAC of format "casework-slots-1" cannot drift unnoticed.
WRITTEN = Path(__file__).parent / "data" / "slot-file-1.json"
WRITTEN_WITH = [
    slots.operator("operator passphrase"),
    slots.coordinator("River", "a coordinator's password"),
    slots.recovery(bytes(range(100, 132))),
    slots.key_file(bytes(range(200, 232))),
]


@pytest.mark.parametrize("credential", WRITTEN_WITH, ids=lambda c: c.kind)
def test_a_slot_file_written_by_an_earlier_version_still_opens(credential):
    file = slots.read(WRITTEN)
    slots.verify(file, MASTER)
    opened = slots.open_file(file, credential)
    assert opened is not None and bytes(opened.master) == MASTER
    assert opened.slot.kind == credential.kind
    wrong = dataclasses.replace(credential, secret=credential.secret + b"!")
    assert slots.open_file(file, wrong) is None


def test_new_slots_have_their_own_salt_and_id_and_a_cost_only_for_passwords():
    people = [slots.operator("operator passphrase"), slots.recovery(bytes(range(32)))]
    file = make_file([*people, slots.key_file(bytes(range(1, 33)))])
    assert [slot.kdf is not None for slot in file.slots] == [True, False, False]
    assert all(len(s.salt) == slots.SALT_BYTES and len(s.id) == 16 for s in file.slots)
    assert len({s.id for s in file.slots}) == len({s.salt for s in file.slots}) == 3


def test_a_new_slots_private_key_is_overwritten_once_boxed(monkeypatch):
    wiped = _wiped_buffers(monkeypatch)
    make_file([slots.operator("operator passphrase")])
    assert len(wiped) == 1 and isinstance(wiped[0], bytearray) and not any(wiped[0])
