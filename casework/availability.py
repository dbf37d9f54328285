"""Weekly availability, read only to rank suggestions; never a reason to refuse anyone.

The accounts profile owns the format. Until it is settled this reads a small, documented
shape and treats anything else (and an empty value) as unknown, which does not penalise:
comma-separated ``<day>-<part>`` slots, day in mon..sun, part in am (06-12), pm (12-18),
eve (18-23), e.g. ``mon-am,wed-eve``.
"""

from __future__ import annotations

from casework.localtime import to_local

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = {"am": (6, 12), "pm": (12, 18), "eve": (18, 23)}


def parse(text: str) -> set[tuple[int, str]] | None:
    """The slots in ``text``, or None when empty or in a shape this module does not know."""
    slots = set()
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        day, _, part = item.partition("-")
        if day not in DAYS or part not in PARTS:
            return None
        slots.add((DAYS.index(day), part))
    return slots or None


def covers(text: str, starts_at: int, ends_at: int, zone: str) -> bool | None:
    """True/False when the availability is known; None when it is not."""
    slots = parse(text)
    if slots is None:
        return None
    start = to_local(starts_at, zone)
    for day, part in slots:
        low, high = PARTS[part]
        if start.weekday() == day and low <= start.hour < high:
            return True
    return False
