"""Local times in the instance zone: typed forms, DST gaps and repeats, day bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.rules import localtime

ZONE = "America/Montreal"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        ("9h30", time(9, 30)),
        ("14 h 00", time(14, 0)),
        ("23:59", time(23, 59)),
        ("24:00", None),
        ("9:60", None),
        ("930", None),
        ("", None),
        ("nine", None),
    ],
)
def test_parse_time(typed, expected):
    assert localtime.parse_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026-02-30", None),
        ("2026-13-01", None),
        ("01/12/2026", None),
        ("2026-1-1", None),
    ],
)
def test_parse_date(typed, expected):
    assert localtime.parse_date(typed) == expected


def test_an_ordinary_time_is_stored_in_utc():
    # 9:00 in Montreal in winter is 14:00 UTC (UTC-5).
    epoch = localtime.to_utc(date(2026, 12, 1), time(9, 0), ZONE)
    assert datetime.fromtimestamp(epoch, UTC) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("at", [time(2, 0), time(2, 30), time(2, 59)])
def test_a_time_skipped_when_clocks_go_forward_is_refused(at):
    with pytest.raises(localtime.NoSuchLocalTime):
        localtime.to_utc(date(2026, 3, 8), at, ZONE)


def test_the_minutes_around_the_gap_exist():
    before = localtime.to_utc(date(2026, 3, 8), time(1, 59), ZONE)
    after = localtime.to_utc(date(2026, 3, 8), time(3, 0), ZONE)
    assert after - before == 60  # one real minute apart, across the skipped hour


def test_a_repeated_time_when_clocks_go_back_is_the_first_one():
    epoch = localtime.to_utc(date(2026, 11, 1), time(1, 30), ZONE)
    # The first 1:30 is still daylight time (UTC-4): 05:30 UTC.
    assert datetime.fromtimestamp(epoch, UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_day_bounds_follow_short_and_long_days():
    start, end = localtime.day_bounds(date(2026, 3, 8), 1, ZONE)
    assert end - start == 23 * 3600
    start, end = localtime.day_bounds(date(2026, 11, 1), 1, ZONE)
    assert end - start == 25 * 3600


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)))
def test_round_trip_keeps_the_wall_clock_time(moment):
    moment = moment.replace(second=0, microsecond=0)
    try:
        epoch = localtime.to_utc(moment.date(), moment.time(), ZONE)
    except localtime.NoSuchLocalTime:
        return  # in a gap: refused, which the tests above pin
    assert localtime.to_local(epoch, ZONE).replace(tzinfo=None) == moment


def test_week_starts_on_monday():
    assert localtime.week_start(date(2026, 11, 29)) == date(2026, 11, 23)
    assert localtime.week_start(date(2026, 11, 23)) == date(2026, 11, 23)
