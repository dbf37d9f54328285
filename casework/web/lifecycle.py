"""The store's life inside a running server: unlock, Lock now, and locking after idle time.

Unlocking derives the key once, opens the pool, ends every session left in the store and
runs ``after_unlock`` (the retention purge). Locking seals at once, lets requests in flight
finish, ends every session, closes every connection and overwrites the key.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask, current_app, g
from flask_login import current_user

from casework.store import WrongKey, sessions, vault_state
from casework.store.db import Connection, Error, checkpoint, is_disk_full
from casework.vault import purges, slots
from casework.vault.keys import KdfParams, KeyProblem
from casework.vault.store import RecoveryKeyTypo, Store
from casework.web import cards, gate, parts
from casework.web.context import app_now
from casework.web.errors import sealed_page, unexpected
from casework.web.throttle import UNLOCK, Throttle

log = logging.getLogger("casework")

IDLE_CHECK_SECONDS = 60


@dataclass
class UnlockOutcome:
    """What an unlock attempt came to: ``problem`` is None on success."""

    problem: str | None = None
    wait_seconds: int = 0


class Lifecycle:
    """Per-app state: one unlock at a time, the throttle, the last signed-in request."""

    def __init__(self) -> None:
        self.unlocking = threading.Lock()
        self.throttle = Throttle(UNLOCK)  # per address
        self.pseudonyms = Throttle(UNLOCK)  # per pseudonym typed on the sealed page
        # None until the first check after an unlock, which starts the countdown.
        self.last_active: int | None = None
        self.locks = 0
        # Why the last lock could not end the sessions in the store (None: it did).
        self.sessions_left: str | None = None


def state(app: Flask) -> Lifecycle:
    return app.extensions["casework_lifecycle"]


def _store(app: Flask) -> Store:
    return app.extensions["casework_store"]


def unlock_with_key(app: Flask, key: bytearray) -> None:
    """Open the store with a proven key: no session survives, then the purge runs."""
    now = app_now(app)

    def on_open(conn: Connection) -> None:
        ended = sessions.end_all(conn, now, "store.unlocked")
        purges.after_unlock(conn, now, app.config["CASEWORK"])
        if ended:
            log.info("unlocked: %d session(s) left from before were ended", ended)

    _store(app).unlock(key, after_open=on_open)
    state(app).last_active = None


def unlock_with_passphrase(app: Flask, passphrase: str, address: str) -> UnlockOutcome:
    """Try the operator passphrase or the recovery key from ``address``: throttled, one
    unlock at a time. A recovery-key unlock is recorded, so that the coordinators are
    asked to make a new one.
    """
    lifecycle, store, now = state(app), _store(app), app_now(app)
    wait = lifecycle.throttle.wait_seconds(address, now)
    if wait:
        log.warning("unlock refused by the throttle (%d refused)", lifecycle.throttle.refused)
        return UnlockOutcome("throttled", wait)
    # Derivation takes a moment: a second unlock in the meantime is told to retry, not queued.
    if not lifecycle.unlocking.acquire(blocking=False):
        return UnlockOutcome("busy")
    try:
        if not store.sealed:
            return UnlockOutcome()
        try:
            key = store.key_for(passphrase, KdfParams.from_settings(app.config["CASEWORK"]))
        except RecoveryKeyTypo:
            return UnlockOutcome("typo")
        except (WrongKey, KeyProblem):
            lifecycle.throttle.record_failure(address, now)
            log.warning("unlock failed (%d failure(s) so far)", lifecycle.throttle.failures)
            return UnlockOutcome("wrong")
        slot = store.opened.slot
        if not open_store(app, key, slot.id):
            return UnlockOutcome("disk full")
        if slot.kind == slots.RECOVERY:
            vault_state.recovery_used(store.conn(), now)
        lifecycle.throttle.clear(address)
        log.info("unlocked")
        return UnlockOutcome()
    finally:
        lifecycle.unlocking.release()


def open_store(app: Flask, key: bytearray, slot_id: str) -> bool:
    """Unlock with a proven key and note the slot's use; False on a full disk, when the
    sessions from before could not be ended: none may outlive a seal, so the store stays
    sealed (the key wiped) until there is room."""
    try:
        unlock_with_key(app, key)
    except Error as exc:
        if not is_disk_full(exc):
            raise
        log.error("unlock refused: disk full (the store stays sealed)")
        return False
    _store(app).touch_slot(slot_id)
    return True


def unlock_answer(outcome: UnlockOutcome) -> str:
    """One word for `casework unlock` on the control socket."""
    if outcome.problem == "throttled":
        return f"wait {outcome.wait_seconds}"
    return outcome.problem or "unlocked"


def lock_store(app: Flask, reason: str, actor_id: int | None = None) -> bool:
    """Lock now: end every session, close every connection, overwrite the key.

    ``reason`` is a code for the audit trail (manual, idle, command). Returns False when
    the store was already sealed.
    """
    now, lifecycle = app_now(app), state(app)
    lifecycle.sessions_left = None

    def before_close(conn: Connection) -> None:
        try:
            ended = sessions.end_all(conn, now, "store.locked", reason, actor_id)
            checkpoint(conn)  # nothing of the ended sessions stays in the -wal file
        except Error as exc:
            # The lock goes on: the key goes all the same, and every session ends at unlock.
            lifecycle.sessions_left = "disk full" if is_disk_full(exc) else type(exc).__name__
            log.error("locking (%s): ending sessions failed (%s)", reason, lifecycle.sessions_left)
            return
        log.info("locking (%s): %d session(s) ended", reason, ended)

    try:
        locked = _store(app).lock(before_close=before_close)
    finally:
        # Anonymous sessions (CSRF tokens) live in memory: they end with the lock too.
        app.session_interface.forget_all_anonymous()
        gate.forget_signed_tokens()
        cards.forget(app)  # rendered task cards hold areas and case codes
        parts.forget(app)
    if locked:
        state(app).locks += 1
        log.info("locked (%s)", reason)
    return locked


def lock_answer(app: Flask) -> str:
    """Lock for `casework lock`: the answer says whether the sessions could be ended."""
    lock_store(app, "command")
    left = state(app).sessions_left
    return f"locked; sessions not ended: {left}" if left else "locked"


def tick(app: Flask) -> bool:
    """Lock when no signed-in request came for ``lock.idle_hours``; True when it locked.

    Called before each request and by the idle timer; tests call it with a moved clock.
    """
    hours, lifecycle, now = app.config["CASEWORK"]["lock.idle_hours"], state(app), app_now(app)
    if not hours or _store(app).sealed:
        return False
    if lifecycle.last_active is None:
        lifecycle.last_active = now
    if now - lifecycle.last_active < hours * 3600:
        return False
    return lock_store(app, "idle")


def start_idle_timer(app: Flask, interval: float = IDLE_CHECK_SECONDS) -> threading.Event:
    """Check for idle time in the background; set the returned event to stop."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                tick(app)
            except Exception as exc:  # the timer must outlive one bad check
                log.error("idle check failed: %s", type(exc).__name__)

    threading.Thread(target=run, name="casework-idle", daemon=True).start()
    return stop


def _before_request() -> None:
    tick(current_app)


def _after_request(response):
    if g.get("_login_user") is not None and current_user.is_authenticated:
        state(current_app).last_active = app_now(current_app)
    return response


def _database_error(exc: Error):
    # A request that was using its connection when Lock now closed it.
    if _store(current_app).sealed:
        return sealed_page()
    return unexpected(exc)


def _track_requests(app: Flask, wsgi_app):
    # Lock now waits for requests in flight (session saving included) before closing.
    def wrapped(environ, start_response):
        with _store(app).in_use():
            return wsgi_app(environ, start_response)

    return wrapped


def init_app(app: Flask) -> None:
    app.extensions["casework_lifecycle"] = Lifecycle()
    app.before_request_funcs.setdefault(None, []).insert(0, _before_request)
    app.after_request(_after_request)
    app.register_error_handler(Error, _database_error)
    app.wsgi_app = _track_requests(app, app.wsgi_app)
