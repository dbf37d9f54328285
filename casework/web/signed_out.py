"""Signed-out sessions in memory: bounded per client address, pending sign-ins apart.

A signed-out session only holds a CSRF token (and the interface language), so strangers
may have one without growing the store. Two tables keep them:

- the **common table**, least recently used first out, at most ``capacity`` in all and
  at most ``per_address`` for one client address (kept as a keyed hash, as the throttle
  does): a flood from one address only pushes out its own sessions;
- the **pending table**, for a sign-in half done (password accepted, code to come): at
  most one per account and only for ``PENDING_SECONDS``, so its size is bounded by the
  number of accounts and no traffic but that account's own password step replaces it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

PENDING_KEY = "signin_pending"
# The code step must follow the password step soon, or the person starts again.
PENDING_SECONDS = 300
CAPACITY = 10_000


@dataclass
class _Entry:
    data: dict
    saved_at: int
    owner: str  # the address hash (common table) or the account (pending table)


def pending_account(data: dict) -> str | None:
    """The account a session's half-done sign-in is for, or None."""
    pending = data.get(PENDING_KEY)
    if isinstance(pending, dict) and isinstance(pending.get("user"), str):
        return pending["user"]
    return None


class SignedOutSessions:
    """Thread-safe tables of signed-out sessions, keyed by the session id's hash."""

    def __init__(self, per_address: int, capacity: int = CAPACITY) -> None:
        self.per_address, self.capacity = per_address, capacity
        self._key = secrets.token_bytes(32)
        self._common: OrderedDict[str, _Entry] = OrderedDict()
        self._by_address: dict[str, OrderedDict[str, None]] = {}
        self._pending: dict[str, _Entry] = {}
        self._pending_by_account: dict[str, str] = {}
        self._lock = threading.Lock()
        self.pushed_out = 0

    def _address_hash(self, address: str) -> str:
        return hmac.new(self._key, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def get(self, id_hash: str, now: int, idle: int) -> dict | None:
        """The session's data if it is known and not idle too long (nor pending too long)."""
        with self._lock:
            entry = self._pending.get(id_hash)
            if entry is not None:
                if now - entry.saved_at <= PENDING_SECONDS:
                    return entry.data
                self._drop(id_hash)
                return None
            entry = self._common.get(id_hash)
            if entry is None or now - entry.saved_at > idle:
                return None
            self._common.move_to_end(id_hash)
            return entry.data

    def put(self, id_hash: str, data: dict, now: int, address: str) -> None:
        """Keep ``data``: in the pending table when it holds a half-done sign-in."""
        account = pending_account(data)
        with self._lock:
            self._drop(id_hash)
            if account is not None:
                self._put_pending(id_hash, data, now, account)
            else:
                self._put_common(id_hash, data, now, self._address_hash(address))

    def _put_pending(self, id_hash: str, data: dict, now: int, account: str) -> None:
        # A new password step for the same account replaces its earlier one, never another's.
        earlier = self._pending_by_account.get(account)
        if earlier is not None:
            self._drop(earlier)
        self._pending[id_hash] = _Entry(data, now, account)
        self._pending_by_account[account] = id_hash

    def _put_common(self, id_hash: str, data: dict, now: int, owner: str) -> None:
        mine = self._by_address.setdefault(owner, OrderedDict())
        while len(mine) >= self.per_address:
            self._drop(next(iter(mine)))
            self.pushed_out += 1
        self._common[id_hash] = _Entry(data, now, owner)
        mine[id_hash] = None
        while len(self._common) > self.capacity:
            self._drop(next(iter(self._common)))
            self.pushed_out += 1

    def _drop(self, id_hash: str) -> None:
        entry = self._pending.pop(id_hash, None)
        if entry is not None:
            if self._pending_by_account.get(entry.owner) == id_hash:
                del self._pending_by_account[entry.owner]
            return
        entry = self._common.pop(id_hash, None)
        if entry is not None:
            mine = self._by_address.get(entry.owner)
            if mine is not None:
                mine.pop(id_hash, None)
                if not mine:
                    del self._by_address[entry.owner]

    def forget(self, id_hash: str) -> None:
        with self._lock:
            self._drop(id_hash)

    def clear(self) -> None:
        """Drop every signed-out session (Lock now)."""
        with self._lock:
            self._common.clear()
            self._by_address.clear()
            self._pending.clear()
            self._pending_by_account.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._common) + len(self._pending)
