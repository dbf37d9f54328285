"""Sign-in throttling, per account (in the store) and per client address (in memory).

Only failures count. After LIMIT failures within WINDOW seconds, every further attempt
is refused, even with the right password, until the oldest failure leaves the window.
Addresses are kept as keyed hashes with a per-start secret: nothing readable in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict, deque

from flask import Flask, current_app, request

from casework.store import signin_failures
from casework.store.db import Connection

LIMIT = 5
WINDOW = 60
# Bound the memory a flood of addresses can take; the oldest are forgotten first.
ADDRESS_LIMIT = 50_000


class AddressThrottle:
    """Recent failures per hashed client address, bounded, thread-safe."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._failures: OrderedDict[str, deque[int]] = OrderedDict()
        self._lock = threading.Lock()

    def _hash(self, address: str) -> str:
        return hmac.new(self._key, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def recent(self, address: str, now: int) -> int:
        with self._lock:
            times = self._failures.get(self._hash(address))
            if not times:
                return 0
            while times and times[0] <= now - WINDOW:
                times.popleft()
            return len(times)

    def record(self, address: str, now: int) -> None:
        key = self._hash(address)
        with self._lock:
            times = self._failures.setdefault(key, deque(maxlen=LIMIT * 4))
            times.append(now)
            self._failures.move_to_end(key)
            while len(self._failures) > ADDRESS_LIMIT:
                self._failures.popitem(last=False)


def _addresses() -> AddressThrottle:
    return current_app.extensions["casework_throttle"]


def client_address() -> str:
    return request.remote_addr or "unknown"


def refused(conn: Connection, user_id: int | None, now: int) -> bool:
    """Whether this attempt must be refused before any password or code is checked."""
    if _addresses().recent(client_address(), now) >= LIMIT:
        return True
    return user_id is not None and signin_failures.recent(conn, user_id, now - WINDOW) >= LIMIT


def record_failure(conn: Connection, user_id: int | None, now: int) -> None:
    """Count a failed attempt against the address and, when known, the account."""
    _addresses().record(client_address(), now)
    if user_id is not None:
        signin_failures.record(conn, user_id, now)


def init_app(app: Flask) -> None:
    app.extensions["casework_throttle"] = AddressThrottle()
