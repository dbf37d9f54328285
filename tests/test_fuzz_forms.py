"""SECURITY.md item 20: arbitrary input to the case, task and debrief forms gives a form
error or 413, never a 500, and saves nothing."""

from __future__ import annotations

import pytest
from helpers.forms import csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(max_size=300)  # every code point, NUL and surrogates included
# Dates that cannot be read or do not exist: a valid form can never be generated.
bad_days = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "2026-3-3", "", "9999-99-99"]),
    text.filter(lambda t: len(t) != 10),
)


def post(client, url, data):
    data = {
        k: v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v for k, v in data.items()
    }
    return client.post(url, data={**data, "csrf_token": csrf_token(client.get(url))})


@pytest.fixture
def case_code(team):
    return team.open_case(team.coord)


@FUZZ
@given(note=text, languages=st.lists(text, max_size=3), coordinator=text)
def test_case_form_fuzz(team, case_code, note, languages, coordinator):
    before = team.count("cases")
    data = {"context_note": note, "languages": languages, "coordinator": "x" + coordinator}
    response = post(team.coord, "/cases/new", data)
    assert response.status_code in (200, 413)
    assert team.count("cases") == before


@FUZZ
@given(day=bad_days, start=text, place=text, instructions=text, people=text, kind=text)
def test_task_form_fuzz(team, case_code, day, start, place, instructions, people, kind):
    data = team.task_fields(
        day=day, start=start, place=place, instructions=instructions, people_needed=people,
        kind=kind,
    )  # fmt: skip
    response = post(team.coord, f"/cases/{case_code}/tasks/new", data)
    assert response.status_code in (200, 413)
    assert team.count("tasks") == 0


def test_megabyte_fields_get_413_and_save_nothing(team, case_code):
    huge = "a" * 1_000_000
    url = f"/cases/{case_code}/tasks/new"
    assert post(team.coord, url, team.task_fields(instructions=huge)).status_code == 413
    assert post(team.coord, "/cases/new", {"context_note": huge}).status_code == 413
    assert team.count("tasks") == 0 and team.count("cases") == 1


@FUZZ
@given(outcome=text, note=text)
def test_debrief_form_fuzz(team, case_code, outcome, note):
    token = getattr(team, "fuzz_task", None)
    if token is None:
        token = team.fuzz_task = team.add_task(team.coord, case_code)
        team.advance(24 * 3600)
    response = post(team.coord, f"/tasks/{token}/debrief", {"outcome": "?" + outcome, "note": note})
    assert response.status_code in (200, 413)
    assert team.count("tasks WHERE outcome IS NOT NULL") == 0
