"""Parts of a page kept rendered (casework.web.parts): the volunteer home's content is
rendered again whenever anything it shows changes, is never one person's shown to
another, reads nothing of the request but what it is given, and is gone at lock."""

from __future__ import annotations

import re

from helpers.forms import CSRF, english, post

from casework.app import TEMPLATES
from casework.web import lifecycle, parts


def _kept(app) -> int:
    return len(app.extensions[parts.EXTENSION].cache)


def test_the_home_changes_as_soon_as_anything_it_shows_does(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, people_needed="2")
    ana, ben = team.person("ana"), team.person("ben")
    assert "2 places left" in ana.get("/").text
    post(ben, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    assert "1 place left" in ana.get("/").text  # someone else's sign-up
    post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    home = ana.get("/").text  # her own (09:00 tomorrow): no longer one she could take
    assert "No open task right now." in home and "Nothing for you today or tomorrow." not in home
    team.advance(2 * 86400)  # over: nothing is left today or tomorrow
    assert "Nothing for you today or tomorrow." in ana.get("/").text


def test_two_people_never_share_a_rendering(team, app):
    """Both going to the same moved task, ana on two phones: their homes differ only by
    what is theirs, and the "Seen" form in each carries that session's own CSRF token."""
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, people_needed="3", day="2026-03-04")
    ana, ben = team.person("ana"), team.person("ben")
    for client in (ana, ben):
        post(client, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    other_phone = english(app.test_client())
    team.accounts.signin("ana", client=other_phone)
    page = f"/tasks/{token}/edit"
    fields = team.task_fields(day="2026-03-04", start="08:00")
    assert post(team.coord, page, fields, page=page).status_code == 302
    for _ in range(2):  # the second time from what is kept
        mine, theirs, again = (c.get("/").text for c in (ana, ben, other_phone))
        assert 'id="notices"' in mine and 'id="notices"' in theirs
        assert "Hello, ana" in mine and "Hello, ben" in theirs
        assert "ben" not in mine.replace("Hello, ana", "")
        for home in (mine, theirs, again):  # the header's sign-out form and the notices'
            assert len(set(CSRF.findall(home))) == 1 and len(CSRF.findall(home)) >= 2
        tokens = {CSRF.findall(home)[0] for home in (mine, theirs, again)}
        assert len(tokens) == 3
    assert _kept(app) >= 2


def test_a_kept_home_is_in_the_readers_language(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code)
    ana = team.person("ana")
    assert "Tasks you could take" in ana.get("/").text
    ana.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    french = ana.get("/").text
    ana.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    spanish = ana.get("/").text
    assert "Tasks you could take" not in french and "Tasks you could take" not in spanish
    assert french != spanish


def test_locking_forgets_every_kept_part(team, app):
    team.person("ana").get("/")
    assert _kept(app) > 0
    assert lifecycle.lock_store(app, "manual")
    assert _kept(app) == 0


# The parts' templates and what they import.
PARTS = (
    "top.html", "home/volunteer_content.html", "home/board_content.html", "home/alerts.html",
    "home/notices.html", "macros.html",
)  # fmt: skip
REQUEST_STATE = re.compile(
    r"\b(current_user|request|session|g|config|get_flashed_messages|recovery_key_was_used)\b"
)


def test_a_kept_part_reads_nothing_of_the_request():
    """It is rendered without the request's context, so it could not show a person's
    session; this keeps an edit from reaching for it through the globals either."""
    for name in PARTS:
        source = (TEMPLATES / name).read_text()
        code = re.sub(r"{#.*?#}", "", source, flags=re.S)
        assert not REQUEST_STATE.search(code), (name, REQUEST_STATE.search(code).group(0))
