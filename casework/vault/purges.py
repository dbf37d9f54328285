"""When purges run: once at unlock, daily at the configured local time, and from the CLI.

Also what the next runs will delete (the coordinators' "upcoming deletions" page).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casework import clock
from casework.store import StoreError, retention, sessions
from casework.store.db import Connection, Error, checkpoint, connect
from casework.store.retention import Progress, PurgeRefused, Report
from casework.vault.store import Store

log = logging.getLogger("casework")

DAY = 86_400
# The scheduler thread wakes at least this often, so a changed clock is noticed.
MAX_SLEEP = 60
# A run that could not finish (compaction kept busy, a full disk) is tried again this soon.
RETRY_SECONDS = 900


def next_run_after(now: int, settings: dict[str, Any]) -> int:
    """The first purge time (``retention.purge_time``, instance local time) after ``now``.

    A time that a spring-forward change skips runs an hour later that day (03:30 for
    02:30); a time that a fall-back change repeats runs once, at its first occurrence.
    """
    zone = zoneinfo.ZoneInfo(settings["timezone"])
    hours, minutes = (int(part) for part in settings["retention.purge_time"].split(":"))
    today = dt.datetime.fromtimestamp(now, zone).date()
    for offset in range(3):
        local = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(hours, minutes))
        at = int(local.replace(tzinfo=zone).timestamp())  # fold=0: before the change
        if at > now:
            return at
    raise AssertionError("a local time occurs at least once in three days")


def run_times(now: int, settings: dict[str, Any], count: int) -> list[int]:
    """The next ``count`` scheduled purge times after ``now``."""
    times = []
    for _ in range(count):
        now = next_run_after(now, settings)
        times.append(now)
    return times


@dataclass
class Upcoming:
    """What the run at ``run_at`` will remove, if nothing changes in the meantime."""

    run_at: int
    counts: dict[str, int]
    codes: dict[str, list[str]] = field(default_factory=dict)  # case rules only


def upcoming(conn: Connection, now: int, settings: dict[str, Any], days: int = 7) -> list[Upcoming]:
    """Per scheduled run over the next ``days`` days: counts per kind and case codes.

    The first run also takes everything already due now.
    """
    plan, seen_counts, seen_codes = [], {}, {}
    for run_at in run_times(now, settings, days):
        counts = retention.due(conn, run_at, settings)
        codes = retention.due_codes(conn, run_at, settings)
        plan.append(
            Upcoming(
                run_at,
                {k: n - seen_counts.get(k, 0) for k, n in counts.items()},
                {k: sorted(c - seen_codes.get(k, set())) for k, c in codes.items()},
            )
        )
        seen_counts, seen_codes = counts, codes
    return plan


def after_unlock(conn: Connection, now: int, settings: dict[str, Any]) -> None:
    """Run right after every unlock and restore, before anything is served: the retention
    purge, so that a store sealed for weeks, or an old backup, cannot show what retention
    already removed.
    """
    purge_logged(conn, now, settings)


def after_restore(store: Store, key: bytearray, settings: dict[str, Any], now: int) -> None:
    """A restored store: sessions in the backup end, and the purge runs at once."""
    conn = connect(store.path, key)
    try:
        sessions.end_all(conn, now, "store.restored")
        after_unlock(conn, now, settings)
        checkpoint(conn)
    finally:
        conn.close()


def purge_logged(conn: Connection, now: int, settings: dict[str, Any]) -> Report | None:
    """Purge on ``conn``; a refusal or failure is logged and reported, never raised."""
    try:
        report = retention.purge(conn, now, settings)
    except PurgeRefused as exc:
        log.warning("purge skipped: %s", exc)
        return None
    except (StoreError, Error) as exc:  # sealed meanwhile, or the store went away
        log.warning("purge skipped: %s", type(exc).__name__)
        return None
    if report.outcome != "done":
        log.error("purge %s", report.outcome)
    return report


class PurgeScheduler:
    """Runs the daily purge on its own thread, with that thread's own pool connection.

    ``run_pending(now)`` does one check (tests call it with an injected clock); ``start()``
    runs it in a daemon thread that sleeps until the next purge time.
    """

    def __init__(self, store: Store, settings: dict[str, Any], source: clock.Source) -> None:
        self.store, self.settings, self.source = store, settings, source
        self.next_run: int | None = None
        self.last_report: Report | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_pending(self, now: int) -> Report | None:
        """Purge if the scheduled time has come; schedule the next one either way."""
        upcoming_run = next_run_after(now, self.settings)
        # A clock set backwards brings the next run back with it (never a skipped day).
        if self.next_run is None or upcoming_run < self.next_run:
            self.next_run = upcoming_run
        if now < self.next_run:
            return None
        self.next_run = upcoming_run  # one run however late: no catching up
        if self.store.sealed:
            return None  # unlocking purges anyway
        try:
            conn = self.store.conn()
        except StoreError as exc:
            log.warning("purge skipped: %s", type(exc).__name__)
            return None
        self.last_report = purge_logged(conn, now, self.settings)
        if self.last_report is not None and self.last_report.outcome != "done":
            # Not compacted (kept busy, or the disk full): try again soon, not tomorrow.
            self.next_run = min(self.next_run, now + RETRY_SECONDS)
        return self.last_report

    def seconds_to_sleep(self, now: int) -> float:
        if self.next_run is None:
            return 0
        return max(1, min(self.next_run - now, MAX_SLEEP))

    def start(self) -> None:
        """Start the background thread (a daemon: it never keeps the process alive)."""
        self._thread = threading.Thread(target=self._loop, name="casework-purge", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Ask the thread to stop and wait for a running purge to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.seconds_to_sleep(clock.now(self.source))):
            try:
                self.run_pending(clock.now(self.source))
            except Exception as exc:  # the thread must outlive any one bad run
                log.error("purge scheduler: %s", type(exc).__name__)


def purge_with_key(
    instance: Path,
    key: bytearray,
    settings: dict[str, Any],
    now: int,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Report:
    """One purge from the command line: unlock (migrating if needed), purge, lock."""
    store = Store(instance)
    store.unlock(key)
    try:
        return retention.purge(store.conn(), now, settings, dry_run, progress=progress)
    finally:
        store.lock()
