"""The week view: today and the next six days, dated headings, moves by seven days."""

from __future__ import annotations

from datetime import date

import pytest
from helpers.forms import post

from casework.rules import localtime

HOUR, DAY = 3600, 86400
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("asked", "first", "problem"),
    [
        ("", TODAY, None),
        (None, TODAY, None),
        ("2026-03-08", date(2026, 3, 8), None),
        ("2026-02-22", date(2026, 2, 22), None),  # the past is fine
        ("2027-12-31", date(2027, 12, 31), None),
        ("garbage", TODAY, "not_a_date"),
        ("2026-13-01", TODAY, "not_a_date"),
        ("2026-3-1", TODAY, "not_a_date"),
        ("0001-01-01", TODAY, "too_far"),
        ("9999-12-31", TODAY, "too_far"),
        ("2029-03-01", TODAY, "too_far"),
    ],
)
def test_week_from_reads_the_day_asked_for(asked, first, problem):
    assert localtime.week_from(asked, TODAY) == (first, problem)


def test_on_a_sunday_the_week_shows_mondays_task(team):
    code = team.open_case(team.coord)
    monday = team.add_task(team.coord, code, day="2026-03-09", kind="medical", urgent="y")
    ana = team.person("ana")
    post(ana, f"/tasks/{monday}/signup", page=f"/tasks/{monday}")
    team.advance(6 * DAY + 2 * HOUR)  # Sunday 8 March, noon
    for client in (ana, team.coord):
        page = client.get("/week").text
        assert "Medical appointment" in page
        assert "Today · Sunday 8 March" in page and "Tomorrow · Monday 9 March" in page
        assert "From Sunday 8 March to Saturday 14 March" in page
        assert page.index("Tomorrow · Monday 9 March") < page.index("Medical appointment")


def test_previous_and_next_move_by_seven_days(team):
    page = team.coord.get("/week?day=2026-03-05").text
    assert 'href="/week?day=2026-02-26"' in page and 'href="/week?day=2026-03-12"' in page
    assert "Thursday 5 March" in page and "Wednesday 11 March" in page
    assert "Thursday 12 March" not in page
    assert "Today ·" not in page  # Monday 2 March is not among those days


def test_each_day_has_its_heading_in_the_readers_language(team):
    team.coord.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = team.coord.get("/week").text
    assert "Aujourd’hui · lundi 2 mars" in page and "Demain · mardi 3 mars" in page
    assert "dimanche 8 mars" in page
    team.coord.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = team.coord.get("/week").text
    assert "Hoy · lunes 2 de marzo" in page and "domingo 8 de marzo" in page


@pytest.mark.parametrize(
    ("asked", "message"),
    [("garbage", "That is not a date"), ("0001-01-01", "more than two years away")],
)
def test_a_bad_week_parameter_gives_a_clear_message(team, asked, message):
    response = team.coord.get(f"/week?day={asked}")
    assert response.status_code == 200
    assert message in response.text
    assert "Today · Monday 2 March" in response.text
