"""Cases: open under a code, look up by code, edit, close and reopen; coordinators only."""

from __future__ import annotations

import pytest
from helpers.forms import post

from casework.rules import codes


def test_open_case_gets_a_code_and_is_audited(team):
    code = team.open_case(
        team.coord, languages=["es", "fr"], support_kinds=["hearing"], context_note="Two hearings."
    )
    assert codes.normalise_case_code(code) == code
    page = team.coord.get(f"/cases/{code}")
    assert page.status_code == 200
    assert code in page.text and "Two hearings." in page.text
    assert "Spanish" in page.text and "Hearing" in page.text
    row = team.conn.execute("SELECT state, languages, coordinator_id FROM cases").fetchone()
    assert tuple(row)[:2] == ("open", "es,fr")
    events = team.conn.execute("SELECT action, target FROM audit_events WHERE action LIKE 'case%'")
    assert [tuple(e) for e in events] == [("case.opened", code)]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Call her at 514-555-0199", "a phone number"),
        ("Born on 12 March 1985", "a date of birth"),
        ("UCI 1234-5678 on the letter", "a client or file number"),
        ("Lives at 1234 rue Saint-Denis", "a street address"),
        ("write to jo@example.org", "an e-mail address"),
    ],
)
def test_identifiers_in_the_note_are_refused_and_nothing_saved(team, note, expected):
    response = post(team.coord, "/cases/new", team.case_fields(context_note=note), "/cases/new")
    assert response.status_code == 200
    assert expected in response.text
    assert "We never store this kind of information" in response.text
    assert team.count("cases") == 0


def test_control_characters_and_overlong_notes_are_refused(team):
    for note in ("nul\x00byte", "bell\x07", "x" * 501):
        response = post(team.coord, "/cases/new", team.case_fields(context_note=note), "/cases/new")
        assert response.status_code == 200
        assert 'class="error"' in response.text
    assert team.count("cases") == 0


def test_unknown_language_or_coordinator_is_refused(team):
    for fields in ({"languages": ["xx"]}, {"coordinator": "999"}, {"support_kinds": ["spy"]}):
        response = post(team.coord, "/cases/new", team.case_fields(**fields), "/cases/new")
        assert response.status_code == 200 and 'class="error"' in response.text
    assert team.count("cases") == 0


def test_look_up_accepts_lower_case_and_missing_dashes(team):
    code = team.open_case(team.coord)
    typed = code.replace("-", "").lower()
    response = team.coord.get(f"/cases/find?code={typed}")
    assert response.headers["Location"] == f"/cases/{code}"
    assert team.coord.get(f"/cases/{typed}").headers["Location"] == f"/cases/{code}"


def _mistyped(code: str) -> str:
    # Change one symbol: the check symbol catches every single substitution.
    first = code[0]
    other = next(s for s in codes.ALPHABET if s != first)
    return other + code[1:]


def test_a_mistyped_code_says_check_the_code_not_another_case(team):
    code = team.open_case(team.coord)
    response = team.coord.get(f"/cases/find?code={_mistyped(code)}")
    assert response.status_code == 200
    assert "Check the code" in response.text
    assert team.coord.get(f"/cases/{_mistyped(code)}").status_code == 404


def test_a_valid_unknown_code_says_no_open_case(team):
    team.open_case(team.coord)
    unknown = codes.new_case_code()
    response = team.coord.get(f"/cases/find?code={unknown}")
    assert "No open case with that code." in response.text


def test_close_cancels_upcoming_tasks_and_reopen_works(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code)
    page = f"/cases/{code}"
    assert post(team.coord, f"/cases/{code}/close", page=page).status_code == 302
    states = team.conn.execute("SELECT c.state, t.state FROM cases c JOIN tasks t").fetchone()
    assert tuple(states) == ("closed", "cancelled")
    assert "Reopen the case" in team.coord.get(page).text
    # No new task on a closed case.
    assert team.coord.get(f"/cases/{code}/tasks/new").status_code == 404
    post(team.coord, f"/cases/{code}/reopen", page=page)
    assert team.conn.execute("SELECT state, closed_at FROM cases").fetchone()[0] == "open"
    actions = [r[0] for r in team.conn.execute("SELECT action FROM audit_events")]
    assert {"case.opened", "case.closed", "case.reopened"} <= set(actions)


def test_edit_changes_details_with_the_same_guard(team):
    code = team.open_case(team.coord)
    page = f"/cases/{code}/edit"
    refused = post(team.coord, page, {"context_note": "SIN 046 454 286"}, page)
    assert "a social insurance number" in refused.text
    coord_id = team.conn.execute("SELECT id FROM users WHERE handle = 'coord'").fetchone()[0]
    saved = post(
        team.coord, page, {"context_note": "Needs a ride", "coordinator": str(coord_id)}, page
    )
    assert saved.status_code == 302
    assert team.conn.execute("SELECT context_note FROM cases").fetchone()[0] == "Needs a ride"


def test_volunteers_never_see_case_pages(team):
    code = team.open_case(team.coord)
    volunteer = team.person("vol")
    for url in (f"/cases/{code}", "/cases/new", f"/cases/find?code={code}", f"/cases/{code}/edit"):
        assert volunteer.get(url).status_code == 404
    assert post(volunteer, f"/cases/{code}/close").status_code == 404
    assert team.conn.execute("SELECT state FROM cases").fetchone()[0] == "open"


def test_keeping_a_dormant_case_open_restarts_its_count(team):
    code = team.open_case(team.coord)
    team.conn.execute(  # 61 quiet days ago (sessions would not survive the clock jump)
        "UPDATE cases SET changed_at = changed_at - 61 * 86400 WHERE code = ?", (code,)
    )
    assert f'action="/cases/{code}/keep-open"' in team.coord.get("/").text  # dormant
    response = post(team.coord, f"/cases/{code}/keep-open", {})
    assert response.status_code == 302
    board = team.coord.get("/").text
    assert "no longer dormant" in board
    assert f'action="/cases/{code}/keep-open"' not in board
    conn = team.conn
    changed = conn.execute("SELECT changed_at FROM cases WHERE code = ?", (code,)).fetchone()[0]
    assert changed == team.now
    actions = [
        r[0] for r in conn.execute("SELECT action FROM audit_events WHERE target = ?", (code,))
    ]
    assert "case.kept_open" in actions


def test_closing_asks_first_and_says_what_it_cancels(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code)
    page = team.coord.get(f"/cases/{code}/close")
    assert page.status_code == 200
    assert "Its 1 upcoming task will be cancelled" in page.text
    assert "erased for good 30 days after closing" in page.text
    state = team.conn.execute("SELECT state FROM cases WHERE code = ?", (code,)).fetchone()[0]
    assert state == "open"
