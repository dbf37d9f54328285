"""Local wall-clock times in the instance time zone, stored as UTC epoch seconds.

Pure and stdlib-only. A local time that does not exist (the hour skipped when clocks go
forward) is refused; one that happens twice (the hour repeated when clocks go back) is
read as the first of the two, so the same input always gives the same instant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_TIME = re.compile(r"(\d{1,2})\s?[:hH]\s?(\d{2})")
# Dates beyond this distance from today are typos, not appointments.
MAX_YEARS_AHEAD = 2


class NoSuchLocalTime(ValueError):
    """The local time falls in a daylight-saving gap: clocks skip it."""


def parse_date(text: str) -> date | None:
    """A date typed as YYYY-MM-DD (what date inputs send), or None."""
    text = (text or "").strip()
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """A time typed as 9:30, 09:30 or 9h30, or None."""
    match = _TIME.fullmatch((text or "").strip())
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def to_utc(day: date, at: time, zone: str) -> int:
    """Epoch seconds of a local date and time; raise NoSuchLocalTime in a DST gap."""
    tz = ZoneInfo(zone)
    local = datetime.combine(day, at, tzinfo=tz).replace(fold=0)
    instant = local.astimezone(UTC)
    # A skipped time does not survive the round trip: it comes back shifted by the gap.
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NoSuchLocalTime(f"{day} {at} does not exist in {zone}")
    return int(instant.timestamp())


def to_local(epoch: int, zone: str) -> datetime:
    """The aware local datetime of an epoch second."""
    return datetime.fromtimestamp(epoch, UTC).astimezone(ZoneInfo(zone))


def week_start(day: date) -> date:
    """The Monday on or before ``day``."""
    return day - timedelta(days=day.weekday())


def day_bounds(day: date, days: int, zone: str) -> tuple[int, int]:
    """Epoch seconds of local midnight on ``day`` and ``days`` later (DST-safe)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=days), time(0), tzinfo=tz)
    return int(start.timestamp()), int(end.timestamp())


WEEK_DAYS = 7


def week_from(text: str | None, today: date) -> tuple[date, str | None]:
    """The first day of the week view asked for, and why the request was not followed.

    Empty: today. Not a date: today and "not_a_date". Further than MAX_YEARS_AHEAD years
    from today (a typo; year 1 would overflow): today and "too_far".
    """
    if not (text or "").strip():
        return today, None
    day = parse_date(text)
    if day is None:
        return today, "not_a_date"
    if abs((day - today).days) > MAX_YEARS_AHEAD * 366:
        return today, "too_far"
    return day, None
