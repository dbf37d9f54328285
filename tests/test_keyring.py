"""The slot file on disk: creating, installing (a restore), opening (and what an interrupted
rotation, add, restore or upgrade leaves behind), adding, rotating and recording use.

These drive casework.vault.keyring directly, on an instance folder, with cheap KDF costs.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
from pathlib import Path

import pytest
from helpers.instance import CHEAP_KDF, NOW, PASSPHRASE, PASSWORD

from casework.rules import recovery_key
from casework.store import WrongKey, vault_state
from casework.store.db import connect, rekey
from casework.store.migrations import MIGRATIONS, migrate
from casework.vault import keyring, keys, slots
from casework.vault.store import STORE_FILE, Store

OTHER_PASSPHRASE = "a passphrase for the restored store"


def ring_of(instance: Path) -> keyring.Keyring:
    return keyring.Keyring(instance, instance / STORE_FILE)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wiped(key: bytes | bytearray) -> bool:
    return len(key) > 0 and not any(key)


def recorded(instance: Path, master: bytes | bytearray):
    """What the store records about its slot file, and its slots' ids and creation times."""
    conn = connect(instance / STORE_FILE, master)
    try:
        state = vault_state.read(conn)
        rows = {row["slot_id"]: row["created_at"] for row in vault_state.slots(conn)}
    finally:
        conn.close()
    return state, rows


def mark(path: Path, key: bytes | bytearray, action: str) -> None:
    conn = connect(path, key)
    conn.execute("INSERT INTO audit_events (at, action, target) VALUES (?, ?, '')", (NOW, action))
    conn.close()


def marked(path: Path, key: bytes | bytearray, action: str) -> int:
    conn = connect(path, key)
    try:
        query = "SELECT count(*) FROM audit_events WHERE action = ?"
        return conn.execute(query, (action,)).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def made(instance):
    """A new store with an operator passphrase: (keyring, master key, written recovery key)."""
    ring = ring_of(instance)
    master, written = ring.create(NOW, CHEAP_KDF, passphrase=PASSPHRASE)
    return ring, master, written


def recovery_of(written: str) -> slots.Credential:
    key = recovery_key.decode(written)
    try:
        return slots.recovery(key)
    finally:
        keys.wipe(key)


@pytest.fixture
def opened_files(monkeypatch):
    """Every master key a slot file yielded during the test (to see it overwritten)."""
    seen: list[slots.Opened] = []
    real = slots.open_file

    def spy(file, credential):
        opened = real(file, credential)
        if opened is not None:
            seen.append(opened)
        return opened

    monkeypatch.setattr(slots, "open_file", spy)
    return seen


@pytest.fixture
def derived(monkeypatch):
    """Every key derived from a passphrase during the test, in order."""
    seen: list[bytearray] = []
    real = keys.derive_raw

    def spy(secret, salt, params):
        key = real(secret, salt, params)
        seen.append(key)
        return key

    monkeypatch.setattr(keys, "derive_raw", spy)
    return seen


# --- creating --------------------------------------------------------------------------


def test_a_new_store_has_an_operator_slot_at_the_instance_cost_and_a_recovery_key(
    instance, monkeypatch
):
    made_keys: list[bytearray] = []
    real_new = recovery_key.new

    def new():
        key = real_new()
        made_keys.append(key)
        return key

    monkeypatch.setattr(recovery_key, "new", new)
    ring = ring_of(instance)
    master, written = ring.create(NOW, CHEAP_KDF, passphrase=PASSPHRASE)
    assert len(made_keys) == 1 and wiped(made_keys[0])  # written out once, then overwritten
    file = slots.read(ring.slot_path)
    assert file.epoch == 1 and ring.slot_path.stat().st_mode & 0o777 == 0o600
    assert {slot.kind: slot.kdf for slot in file.slots} == {
        "operator": CHEAP_KDF,
        "recovery": None,
    }
    assert all(slot.created == NOW for slot in file.slots)
    state, rows = recorded(instance, master)
    assert (state.store_id, state.slot_epoch) == (file.store_id, 1)
    assert rows == {slot.id: NOW for slot in file.slots}
    assert ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF).master == master
    assert ring.open(recovery_of(written), NOW, CHEAP_KDF).master == master


def test_a_new_store_for_a_key_file_opens_with_it_and_asks_no_passphrase(instance):
    ring = ring_of(instance)
    key = secrets.token_bytes(32)
    master, _ = ring.create(NOW, CHEAP_KDF, key_file=key)
    assert ring.kinds() == {"key_file", "recovery"}
    assert Store(instance).keyed_by_key_file
    assert ring.open(slots.key_file(key), NOW, CHEAP_KDF).master == master


@pytest.mark.parametrize("already", [STORE_FILE, slots.SLOT_FILE, keyring.SALT_FILE])
def test_creating_where_a_store_already_is_refused_with_its_message(instance, already):
    (instance / already).write_bytes(b"something of a store")
    before = sorted(os.listdir(instance))
    with pytest.raises(keys.KeyProblem) as refused:
        ring_of(instance).create(NOW, CHEAP_KDF, passphrase=PASSPHRASE)
    assert str(refused.value) == f"a store already exists in {instance}: refusing to touch it"
    assert sorted(os.listdir(instance)) == before
    assert (instance / already).read_bytes() == b"something of a store"


# --- stores made before key slots -----------------------------------------------------


def _old_store(instance: Path, key: bytes | bytearray) -> None:
    conn = connect(instance / STORE_FILE, key)
    migrate(conn, NOW, upto="0005_fewer_pages_per_write")
    conn.close()
    mark(instance / STORE_FILE, key, "legacy.row")


def legacy_passphrase_store(instance: Path) -> bytearray:
    """A store as the previous version made it: a salt file, a key from the passphrase."""
    salt = keys.write_salt_file(instance / keyring.SALT_FILE, CHEAP_KDF)
    key = keys.derive_key(PASSPHRASE, salt, CHEAP_KDF)
    _old_store(instance, key)
    return key


def legacy_key_file_store(instance: Path) -> bytes:
    """A store as the previous version made it for unattended use: keyed by a key file."""
    keys.write_salt_file(instance / keyring.SALT_FILE, CHEAP_KDF, key_file=True)
    key = secrets.token_bytes(keys.KEY_BYTES)
    _old_store(instance, key)
    return key


def test_a_store_made_before_key_slots_says_how_it_opens(instance, tmp_path):
    legacy_key_file_store(instance)
    ring = ring_of(instance)
    assert ring.legacy and ring.legacy_key_file
    assert ring.kinds() == {"key_file"}
    assert Store(instance).keyed_by_key_file
    other = tmp_path / "other"
    other.mkdir()
    legacy_passphrase_store(other)
    assert ring_of(other).kinds() == {"operator"}
    assert not Store(other).keyed_by_key_file


def test_opening_with_the_passphrase_upgrades_the_store_to_key_slots(instance):
    old_key = legacy_passphrase_store(instance)
    ring = ring_of(instance)
    unlocked = ring.open(slots.operator(PASSPHRASE), NOW + 60, CHEAP_KDF)
    assert unlocked.slot.kind == "operator"  # the passphrase's slot is what opened it
    on_disk = slots.read(ring.slot_path)
    assert unlocked.file == on_disk
    assert sorted(slot.kind for slot in on_disk.slots) == ["operator", "recovery"]
    assert on_disk.of_kind("operator")[0].kdf == CHEAP_KDF  # the instance's cost
    assert on_disk.of_kind("recovery")[0].kdf is None
    assert all(slot.created == NOW + 60 for slot in on_disk.slots)
    assert recovery_key.looks_like(unlocked.new_recovery_key)
    assert not ring.salt_path.exists() and not ring.pending_path.exists()
    assert not ring.legacy and ring.kinds() == {"operator", "recovery"}
    with pytest.raises(WrongKey):
        connect(instance / STORE_FILE, old_key)  # a random master key replaced it
    assert marked(instance / STORE_FILE, unlocked.master, "legacy.row") == 1
    state, rows = recorded(instance, unlocked.master)
    assert (state.store_id, state.slot_epoch) == (on_disk.store_id, 1)
    assert rows == {slot.id: NOW + 60 for slot in on_disk.slots}
    # The passphrase and the new recovery key both open it from now on, as slots.
    again = ring.open(slots.operator(PASSPHRASE), NOW + 120, CHEAP_KDF)
    assert again.master == unlocked.master and again.new_recovery_key is None
    by_recovery = ring.open(recovery_of(unlocked.new_recovery_key), NOW + 180, CHEAP_KDF)
    assert by_recovery.master == unlocked.master and by_recovery.slot.kind == "recovery"


def test_opening_with_the_legacy_key_file_upgrades_it_and_the_old_key_no_longer_opens(instance):
    key = legacy_key_file_store(instance)
    ring = ring_of(instance)
    unlocked = ring.open(slots.key_file(key), NOW, CHEAP_KDF)
    assert unlocked.slot.kind == "key_file"
    assert unlocked.file == slots.read(ring.slot_path)
    assert ring.kinds() == {"key_file", "recovery"}
    assert Store(instance).keyed_by_key_file
    assert not ring.salt_path.exists() and not ring.pending_path.exists()
    with pytest.raises(WrongKey):
        connect(instance / STORE_FILE, key)  # the key file is a slot now, not the store key
    assert marked(instance / STORE_FILE, unlocked.master, "legacy.row") == 1
    again = ring.open(slots.key_file(key), NOW + 60, CHEAP_KDF)
    assert again.master == unlocked.master and again.slot.kind == "key_file"


def test_a_legacy_store_asked_for_the_wrong_kind_of_secret_says_which_it_opens_with(
    instance, tmp_path
):
    key_file_store = instance
    legacy_key_file_store(key_file_store)
    with pytest.raises(keys.KeyProblem) as refused:
        ring_of(key_file_store).open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert str(refused.value) == "this store opens with its key file"
    passphrase_store = tmp_path / "other"
    passphrase_store.mkdir()
    legacy_passphrase_store(passphrase_store)
    with pytest.raises(keys.KeyProblem) as refused:
        ring_of(passphrase_store).open(slots.key_file(bytes(32)), NOW, CHEAP_KDF)
    assert str(refused.value) == "this store opens with its passphrase"
    for folder in (key_file_store, passphrase_store):
        assert ring_of(folder).legacy  # nothing was upgraded


def test_a_wrong_legacy_key_file_changes_nothing(instance, tmp_path, monkeypatch):
    legacy_key_file_store(instance)
    ring = ring_of(instance)
    before = digest(instance / STORE_FILE)
    elsewhere = tmp_path / "elsewhere"  # where the command happens to be run from
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(WrongKey):
        ring.open(slots.key_file(secrets.token_bytes(32)), NOW, CHEAP_KDF)
    assert sorted(os.listdir(instance)) == ["casework.db", "config.toml", "store.salt"]
    assert digest(instance / STORE_FILE) == before
    assert os.listdir(elsewhere) == []


def test_a_wrong_legacy_passphrase_changes_nothing_and_its_key_is_overwritten(instance, derived):
    legacy_passphrase_store(instance)
    derived.clear()
    before = digest(instance / STORE_FILE)
    with pytest.raises(WrongKey):
        ring_of(instance).open(slots.operator("not the passphrase at all"), NOW, CHEAP_KDF)
    assert len(derived) == 1 and wiped(derived[0])
    assert sorted(os.listdir(instance)) == ["casework.db", "config.toml", "store.salt"]
    assert digest(instance / STORE_FILE) == before


def test_the_key_derived_for_an_upgrade_is_overwritten_once_it_is_done(instance, derived):
    legacy_passphrase_store(instance)
    derived.clear()
    unlocked = ring_of(instance).open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert wiped(derived[0])  # the old store key, derived first
    assert not wiped(unlocked.master)


# --- opening: the slot file against the store ------------------------------------------


def test_a_credential_that_opens_nothing_is_refused_with_its_message(made):
    ring, _, _ = made
    with pytest.raises(WrongKey) as refused:
        ring.open(slots.operator("not the passphrase at all"), NOW, CHEAP_KDF)
    assert str(refused.value) == "the credential does not open this store"


def test_a_rolled_back_slot_file_is_refused_with_its_message(made, tmp_path):
    ring, master, _ = made
    copy = tmp_path / "old.slots"
    shutil.copy(ring.slot_path, copy)
    conn = connect(ring.store_path, master)
    entry = (slots.operator("a second operator passphrase"), None, None)
    ring.add(conn, master, slots.read(ring.slot_path), [entry], NOW, CHEAP_KDF)
    conn.close()
    shutil.copy(copy, ring.slot_path)
    with pytest.raises(slots.SlotProblem) as refused:
        ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert str(refused.value) == (
        "this slot file is older than the store (rolled back): put back the current one"
    )


def test_a_slot_file_from_another_store_is_refused_with_its_message(made, opened_files):
    ring, master, _ = made
    # Another store's slot file, even one sealed to this store's very key.
    _, other, _ = keyring.new_file(NOW, CHEAP_KDF, passphrase=PASSPHRASE)
    slots.write(ring.slot_path, slots.seal(other, master, 1))
    with pytest.raises(slots.SlotProblem) as refused:
        ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert str(refused.value) == "this slot file belongs to another store"
    assert len(opened_files) == 1 and wiped(opened_files[0].master)  # not left in memory


def test_a_slot_file_the_store_has_no_record_of_is_refused_with_its_message(instance):
    # A store from before key slots (no record) next to a slot file that holds its key.
    master, file, _ = keyring.new_file(NOW, CHEAP_KDF, passphrase=PASSPHRASE)
    _old_store(instance, master)
    slots.write(instance / slots.SLOT_FILE, file)
    with pytest.raises(slots.SlotProblem) as refused:
        ring_of(instance).open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert str(refused.value) == "the store does not know its slot file: restore from a backup"


def test_a_store_from_an_older_version_gets_its_new_tables_at_unlock(instance):
    master, file, _ = keyring.new_file(NOW, CHEAP_KDF, passphrase=PASSPHRASE)
    slots.write(instance / slots.SLOT_FILE, file)
    conn = connect(instance / STORE_FILE, master)
    migrate(conn, NOW, upto="0006_key_slots")
    keyring.start_over(conn, file, NOW)
    conn.close()
    unlocked = ring_of(instance).open(slots.operator(PASSPHRASE), NOW + 3600, CHEAP_KDF)
    conn = connect(instance / STORE_FILE, unlocked.master)
    applied = dict(conn.execute("SELECT migration, applied_at FROM schema_migrations").fetchall())
    conn.close()
    assert list(applied) == list(MIGRATIONS)
    later = MIGRATIONS[MIGRATIONS.index("0006_key_slots") + 1 :]
    assert later and all(applied[name] == NOW + 3600 for name in later)
    assert applied["0006_key_slots"] == NOW


def test_a_slot_file_newer_than_the_store_record_is_accepted_and_recorded(made, tmp_path):
    """An add killed after its new file was written, before the store recorded it."""
    ring, master, written = made
    file = slots.read(ring.slot_path)
    copy = tmp_path / "old.slots"
    shutil.copy(ring.slot_path, copy)
    recovery_slot = file.of_kind("recovery")[0]
    slots.write(ring.slot_path, slots.seal(file.without([recovery_slot.id]), master, 2))
    unlocked = ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert unlocked.file.epoch == 2
    state, rows = recorded(ring.instance, master)
    assert state.slot_epoch == 2
    assert set(rows) == {slot.id for slot in unlocked.file.slots}  # the dropped one is forgotten
    shutil.copy(copy, ring.slot_path)
    with pytest.raises(slots.SlotProblem, match="rolled back"):
        ring.open(recovery_of(written), NOW, CHEAP_KDF)


def test_an_unlock_that_finds_the_file_up_to_date_only_reads_the_store(made):
    ring, master, _ = made
    writer = connect(ring.store_path, master)
    writer.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
    try:
        unlocked = ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert unlocked.master == master


# --- opening after an interrupted rotation or restore ----------------------------------


def interrupted_rotation(ring: keyring.Keyring, master: bytearray, *, rekeyed: bool) -> bytearray:
    """What a rotation killed part way leaves: the next file as ``store.slots.new`` and,
    when it got that far, the store re-keyed under the new master key."""
    file = slots.read(ring.slot_path)
    new_master = bytearray(secrets.token_bytes(slots.MASTER_BYTES))
    slots.write(ring.pending_path, slots.seal(file, new_master, file.epoch + 1))
    if rekeyed:
        conn = connect(ring.store_path, master)
        rekey(conn, new_master)
        conn.close()
    return new_master


def test_a_rotation_killed_after_the_rekey_opens_with_the_new_file(made):
    ring, master, written = made
    new_master = interrupted_rotation(ring, master, rekeyed=True)
    pending = ring.pending_path.read_bytes()
    before = keys.derivation_count()
    unlocked = ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert keys.derivation_count() == before + 1  # the new file is tried first
    assert unlocked.master == new_master and unlocked.file.epoch == 2
    assert ring.slot_path.read_bytes() == pending and not ring.pending_path.exists()
    state, rows = recorded(ring.instance, new_master)
    assert state.slot_epoch == 2 and set(rows) == {slot.id for slot in unlocked.file.slots}
    again = ring.open(recovery_of(written), NOW, CHEAP_KDF)
    assert again.master == new_master


def test_a_rotation_killed_before_the_rekey_opens_with_the_old_file(made, opened_files):
    ring, master, _ = made
    before = ring.slot_path.read_bytes()
    interrupted_rotation(ring, master, rekeyed=False)
    unlocked = ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert unlocked.master == master and unlocked.file.epoch == 1
    assert ring.slot_path.read_bytes() == before and not ring.pending_path.exists()
    # The unfinished file's key opened nothing: it is not left in memory.
    assert len(opened_files) == 2 and wiped(opened_files[0].master)
    assert opened_files[1].master == master


def test_a_pending_slot_file_cut_short_by_a_crash_is_ignored(made):
    ring, master, _ = made
    ring.pending_path.write_bytes(b'{"format": "casework-slots-1", "store_id": "ab')
    unlocked = ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert unlocked.master == master
    assert not ring.pending_path.exists()


def test_an_edited_pending_slot_file_does_not_stop_the_current_one(made):
    ring, master, _ = made
    interrupted_rotation(ring, master, rekeyed=False)
    text = ring.pending_path.read_text()
    ring.pending_path.write_text(text.replace('"epoch": 2', '"epoch": 3'))
    unlocked = ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)
    assert unlocked.master == master and unlocked.file.epoch == 1
    assert not ring.pending_path.exists()


def test_a_restore_killed_before_the_store_was_replaced_still_opens_with_the_old_keys(made):
    ring, master, written = made
    _, restored, _ = keyring.new_file(NOW, CHEAP_KDF, passphrase=OTHER_PASSPHRASE)
    slots.write(ring.pending_path, restored)  # the restored store's file, written first
    unlocked = ring.open(recovery_of(written), NOW, CHEAP_KDF)
    assert unlocked.master == master and unlocked.slot.kind == "recovery"
    assert not ring.pending_path.exists()


# --- installing a store (a restored backup) ----------------------------------------------


def restored_work_file(instance: Path, tmp_path: Path) -> tuple[Path, bytearray]:
    """A store file keyed with its own key, next to the instance's store (as a restore
    extracts a backup)."""
    source = tmp_path / "source"
    source.mkdir()
    work_key, _ = ring_of(source).create(NOW - 86400, CHEAP_KDF, passphrase=OTHER_PASSPHRASE)
    mark(source / STORE_FILE, work_key, "restored.row")
    work = instance / "restore.work"
    os.replace(source / STORE_FILE, work)
    return work, work_key


def test_installing_a_restored_store_replaces_the_store_under_new_keys(made, tmp_path):
    ring, old_master, old_written = made
    work, work_key = restored_work_file(ring.instance, tmp_path)
    master, written = ring.install(work, work_key, NOW, CHEAP_KDF, passphrase=OTHER_PASSPHRASE)
    assert recovery_key.looks_like(written) and written != old_written
    assert not work.exists() and not ring.pending_path.exists()
    assert ring.slot_path.stat().st_mode & 0o777 == 0o600  # private, next to the store
    file = slots.read(ring.slot_path)
    assert file.epoch == 1
    assert sorted(slot.kind for slot in file.slots) == ["operator", "recovery"]
    assert file.of_kind("operator")[0].kdf == CHEAP_KDF
    assert all(slot.created == NOW for slot in file.slots)
    assert marked(ring.store_path, master, "restored.row") == 1
    state, rows = recorded(ring.instance, master)
    assert (state.store_id, state.slot_epoch) == (file.store_id, 1)
    assert rows == {slot.id: NOW for slot in file.slots}
    for key in (work_key, old_master):
        with pytest.raises(WrongKey):
            connect(ring.store_path, key)
    opened = ring.open(slots.operator(OTHER_PASSPHRASE), NOW, CHEAP_KDF)
    assert opened.master == master and opened.slot.kind == "operator"
    assert ring.open(recovery_of(written), NOW, CHEAP_KDF).master == master
    for old in (slots.operator(PASSPHRASE), recovery_of(old_written)):
        with pytest.raises(WrongKey):
            ring.open(old, NOW, CHEAP_KDF)


def test_installing_a_store_drops_the_old_store_journal(made, tmp_path):
    ring, _, _ = made
    journal = [Path(f"{ring.store_path}{suffix}") for suffix in ("-wal", "-shm")]
    for path in journal:
        path.write_bytes(os.urandom(4096))  # left by the store being replaced
    work, work_key = restored_work_file(ring.instance, tmp_path)
    master, _ = ring.install(work, work_key, NOW, CHEAP_KDF, passphrase=OTHER_PASSPHRASE)
    assert not any(path.exists() for path in journal)
    assert marked(ring.store_path, master, "restored.row") == 1


def test_installing_a_store_for_a_key_file_gives_it_a_key_file_slot(made, tmp_path):
    ring, _, _ = made
    work, work_key = restored_work_file(ring.instance, tmp_path)
    key = secrets.token_bytes(32)
    master, _ = ring.install(work, work_key, NOW, CHEAP_KDF, key_file=key)
    assert ring.kinds() == {"key_file", "recovery"}
    assert ring.open(slots.key_file(key), NOW, CHEAP_KDF).master == master


def test_installing_over_a_store_made_before_key_slots_drops_its_salt_file(instance, tmp_path):
    legacy_passphrase_store(instance)
    ring = ring_of(instance)
    work, work_key = restored_work_file(instance, tmp_path)
    master, _ = ring.install(work, work_key, NOW, CHEAP_KDF, passphrase=OTHER_PASSPHRASE)
    assert not ring.salt_path.exists() and not ring.legacy
    assert ring.open(slots.operator(OTHER_PASSPHRASE), NOW, CHEAP_KDF).master == master


# --- changing the slots with the store open ----------------------------------------------


def test_a_replacing_slot_records_its_cost_and_opens_the_same_key(made):
    ring, master, _ = made
    file = slots.read(ring.slot_path)
    old_operator = file.of_kind("operator")[0]
    conn = connect(ring.store_path, master)
    try:
        entry = (slots.operator(OTHER_PASSPHRASE), None, old_operator.id)
        nxt, made_slots = ring.add(conn, master, file, [entry], NOW + 5, CHEAP_KDF)
    finally:
        conn.close()
    assert [slot.kdf for slot in made_slots] == [CHEAP_KDF]
    assert [slot.created for slot in made_slots] == [NOW + 5]
    assert nxt.epoch == 2 and slots.read(ring.slot_path) == nxt
    assert [slot.id for slot in nxt.of_kind("operator")] == [made_slots[0].id]
    state, rows = recorded(ring.instance, master)
    assert state.slot_epoch == 2 and set(rows) == {slot.id for slot in nxt.slots}
    assert ring.open(slots.operator(OTHER_PASSPHRASE), NOW, CHEAP_KDF).master == master
    with pytest.raises(WrongKey):
        ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF)


def test_a_coordinator_slot_opens_with_their_pseudonym_and_password_only(made):
    ring, master, _ = made
    conn = connect(ring.store_path, master)
    try:
        entry = (slots.coordinator("ash", PASSWORD), None, None)
        ring.add(conn, master, slots.read(ring.slot_path), [entry], NOW, CHEAP_KDF)
    finally:
        conn.close()
    opened = ring.open(slots.coordinator(" Ash", PASSWORD), NOW, CHEAP_KDF)
    assert opened.master == master and opened.slot.kind == "coordinator"
    for other in (slots.coordinator("birch", PASSWORD), slots.coordinator("ash", PASSPHRASE)):
        with pytest.raises(WrongKey):
            ring.open(other, NOW, CHEAP_KDF)


def test_a_rotation_reseals_every_slot_and_the_old_master_key_no_longer_opens(made):
    ring, master, written = made
    file = slots.read(ring.slot_path)
    conn = connect(ring.store_path, master)
    try:
        new_master, nxt = ring.rotate(conn, master, file)
    finally:
        conn.close()
    assert len(new_master) == slots.MASTER_BYTES and new_master != master
    assert nxt.epoch == file.epoch + 1
    assert slots.read(ring.slot_path) == nxt and not ring.pending_path.exists()
    assert [slot.id for slot in nxt.slots] == [slot.id for slot in file.slots]
    state, _ = recorded(ring.instance, new_master)
    assert state.slot_epoch == nxt.epoch
    with pytest.raises(WrongKey):
        connect(ring.store_path, master)
    for credential in (slots.operator(PASSPHRASE), recovery_of(written)):
        assert ring.open(credential, NOW, CHEAP_KDF).master == new_master


def test_a_full_disk_during_a_rotation_says_so_and_changes_nothing(made, monkeypatch):
    ring, master, _ = made
    file = slots.read(ring.slot_path)
    before = ring.slot_path.read_bytes()
    sealed_with: list[bytearray] = []
    real_seal = slots.seal

    def seal(slot_file, key, epoch):
        sealed_with.append(key)
        return real_seal(slot_file, key, epoch)

    def full(path, slot_file):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(slots, "seal", seal)
    monkeypatch.setattr(slots, "write", full)
    conn = connect(ring.store_path, master)
    try:
        with pytest.raises(OSError) as failed:
            ring.rotate(conn, master, file)
    finally:
        conn.close()
    monkeypatch.undo()
    assert failed.value.errno == errno.ENOSPC
    assert len(sealed_with) == 1 and wiped(sealed_with[0])  # the new key is not kept
    assert ring.slot_path.read_bytes() == before and not ring.pending_path.exists()
    assert ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF).master == master


def test_the_last_used_time_of_a_slot_is_written_when_it_opens(made):
    ring, master, _ = made
    file = slots.read(ring.slot_path)
    operator = file.of_kind("operator")[0]
    touched = ring.touch(file, operator.id, NOW + 99)
    on_disk = slots.read(ring.slot_path)
    assert touched == on_disk
    assert {slot.kind: slot.last_used for slot in on_disk.slots} == {
        "operator": NOW + 99,
        "recovery": None,
    }
    assert ring.open(slots.operator(PASSPHRASE), NOW, CHEAP_KDF).master == master  # MAC holds


def test_a_full_disk_does_not_stop_an_unlock_recording_the_last_used_time(made, monkeypatch):
    ring, _, _ = made
    file = slots.read(ring.slot_path)
    before = ring.slot_path.read_bytes()
    recovery_slot = file.of_kind("recovery")[0]

    def full(path, slot_file):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(slots, "write", full)
    touched = ring.touch(file, recovery_slot.id, NOW + 7)
    assert touched.of_kind("recovery")[0].last_used == NOW + 7
    assert ring.slot_path.read_bytes() == before
