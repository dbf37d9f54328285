"""A weekly availability pattern: 7 days x morning/afternoon/evening, as 21 characters.

Stored as a string of "0"/"1", Monday morning first: ``pattern[day * 3 + part]`` with
day 0 = Monday (Python's ``weekday()``) and part 0/1/2 = morning/afternoon/evening.
An empty string means "not said".
"""

from __future__ import annotations

from casework.rules.localtime import to_local

DAYS = 7  # Monday first (web.labels.DAY_LABELS names them)
PARTS = 3  # morning, afternoon, evening (web.labels.PART_LABELS)
SLOTS = DAYS * PARTS
# Hours that start each part of the day (the tasks board matches start times to these).
PART_STARTS = (0, 12, 17)


def slot(day: int, part: int) -> int:
    return day * PARTS + part


def part_of_hour(hour: int) -> int:
    """Which part of the day an hour (0-23) falls in."""
    return sum(1 for start in PART_STARTS[1:] if hour >= start)


def serialise(chosen: set[int]) -> str:
    """Slots (0-20) to the stored pattern; out-of-range slots are refused."""
    if any(not 0 <= index < SLOTS for index in chosen):
        raise ValueError("slot out of range")
    return "".join("1" if index in chosen else "0" for index in range(SLOTS))


def parse(stored: str) -> set[int]:
    """The chosen slots of a stored pattern (a malformed one reads as nothing chosen)."""
    if len(stored) != SLOTS:
        return set()
    return {index for index, mark in enumerate(stored) if mark == "1"}


def is_available(stored: str, day: int, hour: int) -> bool:
    """Whether the pattern covers a weekday (0 = Monday) at an hour."""
    return slot(day, part_of_hour(hour)) in parse(stored)


def covers(stored: str, starts_at: int, _ends_at: int, zone: str) -> bool | None:
    """Whether someone said they are free when a task starts; None when they said nothing.

    Only ranks suggestions: it is never a reason to refuse anyone.
    """
    if not parse(stored):
        return None
    start = to_local(starts_at, zone)
    return is_available(stored, start.weekday(), start.hour)
