"""One throttle for every guessable secret: sign-in, links' short codes, and unlocking.

Only failures count. A ``Policy`` says how many failures an address may have within a
window before every further attempt is refused, even with the right secret, until the
oldest failure leaves the window; and, for unlocking, how the wait grows after that
(each failure past the limit doubles it, up to ``max_delay``). Sign-in also counts
failures per account, in the store (``signin_failures``), so that changing address does
not help.

Addresses are kept as keyed hashes with a per-start secret, bounded in number (the
oldest are forgotten first): nothing readable in memory, and a flood of addresses
cannot grow it. Only counts are logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from flask import Flask, current_app, request

from casework.store import signin_failures
from casework.store.db import Connection

ADDRESS_LIMIT = 50_000


@dataclass(frozen=True)
class Policy:
    limit: int = 5
    window: int = 60
    # 0: refused only while ``limit`` failures are in the window; else the growing wait.
    max_delay: int = 0


SIGNIN = Policy()
UNLOCK = Policy(max_delay=3600)


@dataclass
class _Record:
    recent: deque = field(default_factory=deque)
    failures: int = 0
    last_failure: int = 0


class Throttle:
    """Failures per hashed address under one policy; thread-safe."""

    def __init__(self, policy: Policy, capacity: int = ADDRESS_LIMIT) -> None:
        self.policy, self.capacity = policy, capacity
        self._key = secrets.token_bytes(32)
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()
        self.failures = self.refused = 0

    def _hash(self, address: str) -> str:
        return hmac.new(self._key, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def _delay(self, failures: int) -> int:
        limit, window, max_delay = self.policy.limit, self.policy.window, self.policy.max_delay
        if not max_delay or failures < limit:
            return 0
        return min(window * 2 ** (failures - limit), max_delay)

    def wait_seconds(self, address: str, now: int) -> int:
        """Seconds this address must wait before its next attempt (0: it may try now)."""
        with self._lock:
            record = self._records.get(self._hash(address))
            if record is None:
                return 0
            window = self.policy.window
            while record.recent and now - record.recent[0] >= window:
                record.recent.popleft()
            wait = record.last_failure + self._delay(record.failures) - now
            if len(record.recent) >= self.policy.limit:
                wait = max(wait, record.recent[0] + window - now)
            if wait > 0:
                self.refused += 1
            return max(wait, 0)

    def record_failure(self, address: str, now: int) -> None:
        key = self._hash(address)
        with self._lock:
            self.failures += 1
            record = self._records.setdefault(key, _Record(deque(maxlen=self.policy.limit * 4)))
            self._records.move_to_end(key)
            record.recent.append(now)
            record.failures += 1
            record.last_failure = now
            while len(self._records) > self.capacity:
                self._records.popitem(last=False)

    def clear(self, address: str) -> None:
        """Forget the address's failures (a successful unlock)."""
        with self._lock:
            self._records.pop(self._hash(address), None)


def _signin() -> Throttle:
    return current_app.extensions["casework_throttle"]


def client_address() -> str:
    return request.remote_addr or "unknown"


def refused(conn: Connection, user_id: int | None, now: int) -> bool:
    """Whether this sign-in attempt must be refused before any password or code is checked."""
    if _signin().wait_seconds(client_address(), now):
        return True
    limit, window = SIGNIN.limit, SIGNIN.window
    return user_id is not None and signin_failures.recent(conn, user_id, now - window) >= limit


def record_failure(conn: Connection, user_id: int | None, now: int) -> None:
    """Count a failed sign-in against the address and, when known, the account."""
    _signin().record_failure(client_address(), now)
    if user_id is not None:
        signin_failures.record(conn, user_id, now)


def init_app(app: Flask) -> None:
    app.extensions["casework_throttle"] = Throttle(SIGNIN)
