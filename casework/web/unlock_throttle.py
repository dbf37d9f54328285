"""Per-address throttling of unlock attempts: a few a minute, then delays that keep growing."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field


@dataclass
class _Record:
    recent: deque = field(default_factory=deque)
    failures: int = 0
    last_failure: int = 0


class UnlockThrottle:
    """``per_minute`` attempts a minute per address; from then on each failure doubles the
    wait after it (1 min, 2, 4 … capped). A success clears the address's record.

    Only counts and times are kept, never what was typed; addresses stay in memory only.
    """

    def __init__(self, per_minute: int = 5, window: int = 60, max_delay: int = 3600) -> None:
        self.per_minute, self.window, self.max_delay = per_minute, window, max_delay
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()
        self.attempts = self.failures = self.refused = 0

    def _delay(self, failures: int) -> int:
        if failures < self.per_minute:
            return 0
        return min(self.window * 2 ** (failures - self.per_minute), self.max_delay)

    def wait_seconds(self, address: str, now: int) -> int:
        """Seconds this address must wait before its next attempt (0: it may try now)."""
        with self._lock:
            record = self._records.get(address)
            if record is None:
                return 0
            while record.recent and now - record.recent[0] >= self.window:
                record.recent.popleft()
            wait = record.last_failure + self._delay(record.failures) - now
            if len(record.recent) >= self.per_minute:
                wait = max(wait, record.recent[0] + self.window - now)
            if wait > 0:
                self.refused += 1
            return max(wait, 0)

    def record(self, address: str, now: int, succeeded: bool) -> None:
        """Count one attempt from ``address``."""
        with self._lock:
            self.attempts += 1
            if succeeded:
                self._records.pop(address, None)
                return
            self.failures += 1
            record = self._records.setdefault(address, _Record())
            self._records.move_to_end(address)
            record.recent.append(now)
            record.failures += 1
            record.last_failure = now
            while len(self._records) > 10_000:  # strangers cannot grow memory without bound
                self._records.popitem(last=False)
