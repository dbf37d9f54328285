"""Key slots in the store and the server: every way in unseals, a removed coordinator
stays out even with the old slot file put back, edited or foreign slot files are refused,
the second factor still counts, and a store made before key slots is upgraded.
"""

from __future__ import annotations

import errno
import shutil
import threading
import time

import pytest
from helpers.forms import csrf_token, english
from helpers.instance import CHEAP_KDF, PASSPHRASE, PASSWORD

from casework import create_app
from casework.rules import recovery_key, totp
from casework.store import WrongKey, db, vault_state
from casework.store.db import connect
from casework.store.migrations import migrate
from casework.vault import keyring, keys, slots
from casework.vault.store import Store

EN = {"Accept-Language": "en"}


@pytest.fixture
def team(app, accounts):
    """Three coordinators (each with a slot and a second factor) and a volunteer."""
    for handle in ("ash", "birch", "cedar"):
        accounts.create(handle)
    accounts.create("fern", "volunteer")
    return accounts


def later(app, seconds: int = 300) -> int:
    """Move the app clock on, so that a fresh TOTP step is free."""
    now = int(app.config["CASEWORK_CLOCK"]()) + seconds
    app.config["CASEWORK_CLOCK"] = lambda: now
    return now


def seal(app) -> None:
    from casework.web import lifecycle

    assert lifecycle.lock_store(app, "manual")


def coordinator_unlock(app, accounts, handle, password=PASSWORD, code=None, **environ):
    client = english(app.test_client())
    page = client.get("/", headers=EN, **environ)
    assert page.status_code == 503
    if code is None:
        code = totp.code_at(accounts.people[handle].secret, later(app))
    form = {"handle": handle, "password": password, "code": code, "csrf_token": csrf_token(page)}
    return client, client.post("/unlock/coordinator", data=form, headers=EN, **environ)


def slot_kinds(instance) -> list[str]:
    return sorted(slot.kind for slot in slots.read(instance / slots.SLOT_FILE).slots)


# --- each way in ------------------------------------------------------------------------


def test_each_coordinator_unseals_and_is_signed_in_in_one_step(app, team, instance):
    assert slot_kinds(instance) == ["coordinator"] * 3 + ["operator", "recovery"]
    for handle in ("ash", "birch", "cedar"):
        seal(app)
        client, response = coordinator_unlock(app, team, handle)
        assert response.status_code == 302, response.text
        assert not app.extensions["casework_store"].sealed
        home = client.get("/", headers=EN)
        assert home.status_code == 200 and handle in home.text  # signed in, on the board


def test_a_volunteer_has_no_slot_and_cannot_unseal(app, team):
    seal(app)
    _, response = coordinator_unlock(app, team, "fern", code="123456")
    assert response.status_code == 503
    assert app.extensions["casework_store"].sealed


def test_the_operator_passphrase_and_the_recovery_key_unseal(
    app, team, instance, written_recovery_key
):
    written = written_recovery_key
    assert recovery_key.looks_like(written)
    for secret in (PASSPHRASE, written, written.replace("-", " ").lower()):
        seal(app)
        client = english(app.test_client())
        page = client.get("/", headers=EN)
        unlocked = client.post(
            "/unlock", data={"passphrase": secret, "csrf_token": csrf_token(page)}, headers=EN
        )
        assert unlocked.status_code == 302, unlocked.text
        assert not app.extensions["casework_store"].sealed


def test_a_recovery_key_typo_says_check_it_and_costs_no_derivation(app, team, written_recovery_key):
    written = written_recovery_key
    typo = ("3" if written[0] != "3" else "4") + written[1:]
    seal(app)
    client = english(app.test_client())
    page = client.get("/", headers=EN)
    before = keys.derivation_count()
    refused = client.post(
        "/unlock", data={"passphrase": typo, "csrf_token": csrf_token(page)}, headers=EN
    )
    assert refused.status_code == 503
    assert "Check the recovery key" in refused.text
    assert keys.derivation_count() == before


def test_a_recovery_key_unlock_asks_the_coordinators_for_a_new_one(app, team, written_recovery_key):
    store = app.extensions["casework_store"]
    old = written_recovery_key
    seal(app)
    client = english(app.test_client())
    page = client.get("/", headers=EN)
    client.post("/unlock", data={"passphrase": old, "csrf_token": csrf_token(page)})
    coordinator = english(app.test_client())
    team.signin("ash", client=coordinator)
    assert "opened with the recovery key" in coordinator.get("/", headers=EN).text
    page = coordinator.get("/recovery-key", headers=EN)
    made = coordinator.post("/recovery-key", data={"csrf_token": csrf_token(page)}, headers=EN)
    new = made.text.split('class="secret recovery-key"', 1)[1].split("</p>", 1)[0]
    new = "".join(part.split(">")[-1] for part in new.split("</span>"))
    assert recovery_key.looks_like(new) and new.replace(" ", "") != old.replace("-", "")
    assert "opened with the recovery key" not in coordinator.get("/", headers=EN).text
    with pytest.raises(WrongKey):
        Store(store.instance).key_for(old, CHEAP_KDF)  # the envelope that was opened
    keys.wipe(Store(store.instance).key_for(new, CHEAP_KDF))


# --- the second factor still counts -----------------------------------------------------


def test_a_wrong_code_seals_again_at_once_and_counts_as_a_failure(app, team):
    seal(app)
    store = app.extensions["casework_store"]
    failures = app.extensions["casework_lifecycle"].throttle.failures
    _, response = coordinator_unlock(app, team, "ash", code="000000")
    assert response.status_code == 503
    assert "do not open the store" in response.text
    assert store.sealed and store._key is None
    assert app.extensions["casework_lifecycle"].throttle.failures == failures + 1


def test_unlock_attempts_are_throttled_per_pseudonym_across_addresses(app, team):
    seal(app)
    code = totp.code_at(team.people["ash"].secret, later(app))
    for number in range(5):
        environ = {"environ_base": {"REMOTE_ADDR": f"10.1.0.{number}"}}
        coordinator_unlock(app, team, "ash", password="wrong password!", code=code, **environ)
    before = keys.derivation_count()
    _, refused = coordinator_unlock(
        app, team, "ash", code=code, environ_base={"REMOTE_ADDR": "10.1.0.99"}
    )  # the right password and code, but from a sixth address
    assert refused.status_code == 429
    assert keys.derivation_count() == before  # refused before any derivation
    assert app.extensions["casework_store"].sealed


def test_two_coordinators_unlocking_at_once_unseal_once(app, team):
    seal(app)
    results = []
    # The clock moves once, before the race: each code is for the time both attempts see.
    when = later(app)
    codes = {h: totp.code_at(team.people[h].secret, when) for h in ("ash", "birch")}

    def attempt(handle):
        results.append(coordinator_unlock(app, team, handle, code=codes[handle])[1].status_code)

    threads = [threading.Thread(target=attempt, args=(h,)) for h in ("ash", "birch")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not app.extensions["casework_store"].sealed
    assert 302 in results and set(results) <= {302, 503}


# --- removal and rotation ---------------------------------------------------------------


def deactivate(app, team, by: str, handle: str):
    client = english(app.test_client())
    team.signin(by, client=client)
    person = team.people[handle].public_id
    page = client.get(f"/people/{person}/deactivate", headers=EN)
    assert "store key is changed" in page.text
    done = client.post(
        f"/people/{person}/deactivate", data={"csrf_token": csrf_token(page)}, headers=EN
    )
    return client, done


def test_a_removed_coordinator_cannot_unseal_even_with_the_old_slot_file(
    app, team, instance, tmp_path
):
    store = app.extensions["casework_store"]
    copy = tmp_path / "store.slots.copy"
    shutil.copy(instance / slots.SLOT_FILE, copy)
    rotations = store.rotations
    client, done = deactivate(app, team, "ash", "cedar")
    assert done.status_code == 302
    assert store.rotations == rotations + 1
    assert slot_kinds(instance).count("coordinator") == 2
    said = client.get(done.headers["Location"], headers=EN).text
    assert "store key was changed" in said and "make a fresh backup" in said
    # Their credentials with the old file put back open only the old key: refused.
    shutil.copy(copy, instance / slots.SLOT_FILE)
    with pytest.raises((WrongKey, slots.SlotProblem)):
        Store(instance).open(slots.coordinator("cedar", PASSWORD), CHEAP_KDF)
    opened = slots.open_file(slots.read(copy), slots.coordinator("cedar", PASSWORD))
    assert opened is not None  # the old file did hold a way in...
    with pytest.raises(WrongKey):
        connect(instance / "casework.db", opened.master)  # ...to a key that is gone


def test_a_coordinator_made_a_volunteer_loses_the_slot_and_the_key_rotates(app, team, instance):
    store = app.extensions["casework_store"]
    client = english(app.test_client())
    team.signin("ash", client=client)
    person = team.people["birch"].public_id
    page = client.get(f"/people/{person}", headers=EN)
    assert "changes the store key" in page.text
    rotations = store.rotations
    client.post(
        f"/people/{person}/role",
        data={"role": "volunteer", "csrf_token": csrf_token(page)},
        headers=EN,
    )
    assert store.rotations == rotations + 1
    assert slot_kinds(instance).count("coordinator") == 2


def test_requests_in_flight_during_a_rotation_finish_or_wait(app, team):
    from casework.web import keyslots

    client = english(app.test_client())
    team.signin("ash", client=client)
    statuses, stop = [], threading.Event()

    def browse():
        while not stop.is_set():
            statuses.append(client.get("/", headers=EN).status_code)

    worker = threading.Thread(target=browse)
    worker.start()
    try:
        with app.app_context():
            for _ in range(3):
                assert keyslots.rotate(app)
    finally:
        stop.set()
        worker.join()
    assert statuses and set(statuses) == {200}


def test_a_full_disk_during_rotation_changes_nothing(app, team, instance, monkeypatch):
    from casework.web import keyslots

    before = (instance / slots.SLOT_FILE).read_bytes()
    real = slots.write

    def full(path, file):
        if path.name == slots.PENDING_SLOT_FILE:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, file)

    monkeypatch.setattr(keyring.slots, "write", full)
    with app.app_context():
        assert keyslots.rotate(app) is False
    assert (instance / slots.SLOT_FILE).read_bytes() == before
    assert not (instance / slots.PENDING_SLOT_FILE).exists()
    client = english(app.test_client())
    assert team.signin("ash", client=client).status_code == 302  # still serving
    keys.wipe(Store(instance).key_for(PASSPHRASE, CHEAP_KDF))  # the old slots still open it


# --- the slot file against the store ----------------------------------------------------


def test_a_rolled_back_slot_file_is_refused_with_a_clear_message(app, team, instance, tmp_path):
    copy = tmp_path / "old.slots"
    shutil.copy(instance / slots.SLOT_FILE, copy)
    store = app.extensions["casework_store"]  # a new slot raises the epoch
    store.add_slot(slots.operator("a second operator passphrase"), CHEAP_KDF)
    shutil.copy(copy, instance / slots.SLOT_FILE)
    with pytest.raises(slots.SlotProblem, match="rolled back"):
        Store(instance).key_for(PASSPHRASE, CHEAP_KDF)


def test_a_slot_file_from_another_store_is_refused(instance, store_key, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    Store(other).create("another store's passphrase", CHEAP_KDF)
    shutil.copy(other / slots.SLOT_FILE, instance / slots.SLOT_FILE)
    with pytest.raises(WrongKey):
        Store(instance).key_for("another store's passphrase", CHEAP_KDF)


def test_an_edited_slot_file_is_refused(instance, store_key):
    path = instance / slots.SLOT_FILE
    text = path.read_text()
    path.write_text(text.replace('"epoch": 1', '"epoch": 7'))
    with pytest.raises(slots.SlotProblem, match="edited"):
        Store(instance).key_for(PASSPHRASE, CHEAP_KDF)


def test_every_file_of_the_store_is_private(instance, store_key):
    assert (instance / slots.SLOT_FILE).stat().st_mode & 0o077 == 0


# --- upgrade of a store made before key slots --------------------------------------------


def legacy_store(instance):
    """A store as the previous version made it: a salt file and a key derived from the
    passphrase, migrations up to 0005."""
    salt = keys.write_salt_file(instance / keyring.SALT_FILE, CHEAP_KDF)
    key = keys.derive_key(PASSPHRASE, salt, CHEAP_KDF)
    conn = connect(instance / "casework.db", key)
    migrate(conn, 1_800_000_000, upto="0005_fewer_pages_per_write")
    conn.execute(
        "INSERT INTO audit_events (at, action, target) VALUES (?, 'legacy.row', '')",
        (int(time.time()),),
    )
    conn.close()
    return key


def test_a_store_from_the_previous_version_is_upgraded_at_its_first_unlock(tmp_path):
    instance = tmp_path / "old"
    instance.mkdir()
    (instance / "config.toml").write_text("[kdf]\ntime_cost = 1\nmemory_kib = 8\nparallelism = 1\n")
    old_key = legacy_store(instance)
    app = create_app(instance, tls=False, testing=True)
    client = english(app.test_client())
    page = client.get("/", headers=EN)
    done = client.post("/unlock", data={"passphrase": PASSPHRASE, "csrf_token": csrf_token(page)})
    assert done.status_code == 200 and "recovery key of its own" in done.text
    store = app.extensions["casework_store"]
    assert not store.sealed
    assert not (instance / keyring.SALT_FILE).exists()
    assert slot_kinds(instance) == ["operator", "recovery"]
    with pytest.raises(WrongKey):
        connect(instance / "casework.db", old_key)  # a random master key replaced it
    rows = store.conn().execute("SELECT count(*) FROM audit_events WHERE action = 'legacy.row'")
    assert rows.fetchone()[0] == 1
    assert vault_state.read(store.conn()).slot_epoch == 1
    store.lock()
    keys.wipe(Store(instance).key_for(PASSPHRASE, CHEAP_KDF))  # the passphrase is a slot now


def test_an_upgrade_killed_before_it_finished_still_opens(tmp_path, monkeypatch):
    instance = tmp_path / "old"
    instance.mkdir()
    legacy_store(instance)

    def killed(path, file):
        raise KeyboardInterrupt  # as if the process died right after writing the pending file

    store = Store(instance)
    real = slots.write
    monkeypatch.setattr(keyring.slots, "write", lambda p, f: (real(p, f), killed(p, f)))
    with pytest.raises(KeyboardInterrupt):
        store.key_for(PASSPHRASE, CHEAP_KDF)
    monkeypatch.undo()
    assert (instance / slots.PENDING_SLOT_FILE).exists()
    key = Store(instance).key_for(PASSPHRASE, CHEAP_KDF)  # the legacy key still opens; redone
    assert (instance / slots.SLOT_FILE).exists() and not (instance / keyring.SALT_FILE).exists()
    keys.wipe(key)


def test_a_coordinator_unlock_on_a_full_disk_stays_sealed_and_says_so(app, team, instance):
    conn = app.extensions["casework_store"].conn()
    with db.transaction(conn):  # the sessions from before cannot be deleted, as on a full disk
        conn.execute(
            "CREATE TRIGGER no_room BEFORE DELETE ON sessions"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    seal(app)
    _, response = coordinator_unlock(app, team, "ash")
    assert response.status_code == 507
    assert "The server&#39;s disk is full: casework stays locked" in response.text
    assert app.extensions["casework_store"].sealed
