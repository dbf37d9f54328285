"""Cached cards (casework.cards): never stale, per reader language, gone at lock, and the
board's buttons post through one form with its CSRF field."""

from __future__ import annotations

import re

from helpers.forms import post

from casework.app import TEMPLATES
from casework.web import cards, lifecycle


def _cache_size(app) -> int:
    return app.extensions[cards.EXTENSION].cache_info().currsize


def test_a_card_changes_as_soon_as_its_task_does(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, people_needed="2")
    ana, ben = team.person("ana"), team.person("ben")
    assert "2 places left" in ana.get("/").text
    assert "2 places left" in team.coord.get("/").text
    post(ben, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    assert "1 place left" in ana.get("/").text
    board = team.coord.get("/").text
    assert "1 place left" in board and "2 places left" not in board


def test_the_same_card_is_shown_in_each_readers_language(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code, kind="medical", languages=["es"])
    english = team.coord.get("/").text
    team.coord.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    spanish = team.coord.get("/").text
    team.coord.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    french = team.coord.get("/").text
    assert "Medical appointment" in english and "Spanish" in english
    assert "Cita médica" in spanish and "Español" in spanish
    assert "Rendez-vous médical" in french and "Espagnol" in french


def test_locking_the_store_empties_the_card_cache(app, team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code)
    team.coord.get("/")
    assert _cache_size(app) > 0
    assert lifecycle.lock_store(app, "manual")
    assert _cache_size(app) == 0


def test_board_buttons_post_one_form_with_its_csrf_field(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, kind="medical")
    ana = team.person("ana")
    post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    team.advance(24 * 3600)
    page = f"/tasks/{token}/debrief"
    assert post(ana, page, {"outcome": "follow_up", "note": "ok"}, page).status_code == 302
    board = team.coord.get("/").text
    forms = re.findall(r"<form method=\"post\">(.*?)</form>", board, re.S)
    handled = [f for f in forms if f'formaction="/tasks/{token}/handled"' in f]
    assert len(handled) == 1
    assert handled[0].count('name="csrf_token"') == 1
    # Without the field the post is refused; with it the follow-up is handled.
    assert team.coord.post(f"/tasks/{token}/handled").status_code == 400
    assert team.count("tasks WHERE follow_up = 1") == 1
    post(team.coord, f"/tasks/{token}/handled")
    assert team.count("tasks WHERE follow_up = 1") == 0


def test_cached_cards_stay_escaped(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code, place="<b>Est</b> & annexe")
    board = team.coord.get("/").text
    assert "&lt;b&gt;Est&lt;/b&gt; &amp; annexe" in board  # the area: its first three words
    assert "<b>Est</b>" not in board


def test_every_field_a_card_reads_is_in_its_cache_key():
    """A card reading a field missing from cards.CARDS would render it empty (and the
    cache would not see it change): each macro's row.<field> must be in its key."""
    source = (TEMPLATES / "cards.html").read_text()
    macros = dict(re.findall(r"{% macro (\w+)\(row\) -%}(.*?){%- endmacro %}", source, re.S))
    assert set(macros) == {macro for macro, _ in cards.CARDS.values()}
    for macro, body in macros.items():
        keyed = set().union(*(set(f) for m, f in cards.CARDS.values() if m == macro))
        read = set(re.findall(r"\brow\.(\w+)", body))
        if "places(row)" in body:  # tasks/macros.html: places left
            read |= {"people_needed", "assigned"}
        assert read and read <= keyed, (macro, read - keyed)


def _nav(page: str) -> str:
    return re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', page, re.S).group(1)


def test_the_main_navigation_is_each_persons_own(team, accounts, app):
    """Kept rendered like a card: a volunteer never gets a coordinator's links, each
    person sees their own name, in their language; a coordinator still enrolling their
    second factor gets nothing but the way out."""
    ana = team.person("ana")
    coordinator, volunteer = _nav(team.coord.get("/").text), _nav(ana.get("/").text)
    for link in ('href="/cases/new"', 'href="/people/"', 'href="/lock"'):
        assert link in coordinator and link not in volunteer
    assert '"who">ana<' in volunteer and '"who">ana<' not in coordinator
    assert 'href="/week"' in volunteer and "Sign out" in volunteer
    ana.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert "Se déconnecter" in _nav(ana.get("/").text)
    ana.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    assert "Cerrar sesión" in _nav(ana.get("/").text)
    enrolling = app.test_client()
    accounts.create("cleo", client=enrolling, second_factor=False)
    waiting = _nav(enrolling.get("/enrol").text)
    assert 'action="/signout"' in waiting and "href=" not in waiting
