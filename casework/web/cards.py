"""Cards rendered once per content and reader language, then reused.

Every volunteer's home lists the same few upcoming open tasks, and every coordinator's
board the same thirty tasks, follow-ups and dormant cases: rendering each card's macro
again for every page was most of those pages' time. A card (a macro of templates/cards.html)
reads only the row fields listed for it in CARDS, the reader's language, the instance time
zone and the site's URL root, and all of them make the cache key: a change to a task (a
place taken, a new time) is a new key, never a stale card. The cache is bounded, lives in
the server's memory only, and is emptied when the store locks.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable

from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from casework.store.db import Row

_TASK = ("token", "kind", "urgent", "starts_at", "place", "languages", "people_needed", "assigned")
# Card name -> (macro in templates/cards.html, the row fields it shows).
CARDS = {
    "task": ("task", _TASK),
    "task_with_code": ("task", (*_TASK, "case_code")),
    "follow_up": ("follow_up", ("token", "kind", "starts_at", "outcome", "case_code")),
    "dormant": ("dormant", ("code", "last_activity")),
    "unseen_change": (
        "unseen_change",
        ("token", "kind", "starts_at", "case_code", "unseen", "soon"),
    ),
    "late_withdrawal": ("late_withdrawal", ("token", "kind", "starts_at", "case_code", "soon")),
    "debrief": ("debrief", ("token", "kind", "starts_at")),
    "day": (
        "day",
        ("token", "kind", "urgent", "starts_at", "ends_at", "place", "meeting_point", "today"),
    ),
    "notice": (
        "notice",
        (
            "token", "kind", "starts_at", "ends_at", "place", "meeting_point", "changes",
            "was_starts_at", "was_ends_at", "was_place",
        ),
    ),
}  # fmt: skip
# Fields that are not the row's but whether its task starts before a time the page gives
# (``cards(..., soon_before=T)``): the page's clock, never the card's.
STARTS_BEFORE = ("soon", "today")
# About two boards and a few hundred volunteer homes' worth of distinct cards.
CACHE_SIZE = 4096
EXTENSION = "casework.web.cards"


def cards(name: str, rows: Iterable[Row], **before: int) -> Markup:
    """The card ``name`` for each row, in order, from the cache when rendered before.

    One call per list: a board shows up to ninety cards, and a template call per card
    cost more than the cache lookups themselves. A card with a field of STARTS_BEFORE is
    given ``<field>_before``: the field says whether the row's task starts before it.
    """
    shown = values(name, rows, **before)
    if not shown:
        return Markup("")
    render, now_reading = current_app.extensions[EXTENSION], reader()
    return Markup("\n").join(render(name, each, *now_reading) for each in shown)


def values(name: str, rows: Iterable[Row], **before: int) -> tuple[tuple, ...]:
    """What the cards ``name`` of ``rows`` show, card by card: their cache keys (without
    the reader's), and what decides whether a list of them looks the same."""
    fields = CARDS[name][1]
    bounds = {}
    for field in fields:
        if field in STARTS_BEFORE:
            if f"{field}_before" not in before:
                raise TypeError(f"the card {name!r} needs {field}_before")
            bounds[field] = before[f"{field}_before"]
    rows = list(rows)
    if not rows:
        return ()
    return tuple(map(_values_of(rows[0], fields, bounds), rows))


def reader() -> tuple[str, str, str]:
    """What a card reads from the request: its language, time zone and site root."""
    found = g.get("card_reader")
    if found is None:  # once per request
        found = g.card_reader = (str(get_locale()), str(get_timezone()), request.script_root)
    return found


def _values_of(first: Row, fields: tuple[str, ...], bounds: dict[str, int]):
    """A function from a row of a list to its card's values. The columns' positions are
    found once per list: a row's column found by name is a scan of its column names, for
    every field of every card, and that was most of the time of a page of cached cards."""
    if not isinstance(first, Row):  # a mapping (not from the store): by name
        return lambda row: tuple(
            row["starts_at"] < bounds[f] if f in bounds else row[f] for f in fields
        )
    position = {column: i for i, column in enumerate(first.keys())}
    if not bounds and len(fields) > 1:  # (itemgetter of one gives a value, not a tuple)
        return operator.itemgetter(*(position[field] for field in fields))
    plan = [
        (position["starts_at"], bounds[f]) if f in bounds else (position[f], None) for f in fields
    ]
    return lambda row: tuple(row[i] if bound is None else row[i] < bound for i, bound in plan)


def forget(app: Flask) -> None:
    """Empty the cache (the store locked: nothing of its content stays rendered)."""
    app.extensions[EXTENSION].cache_clear()


def init_app(app: Flask) -> None:
    @functools.lru_cache(maxsize=CACHE_SIZE)
    def render(name: str, values: tuple, _locale: str, _zone: str, _root: str) -> Markup:
        # The key's locale, zone and root are what the macro reads from the request.
        macro, fields = CARDS[name]
        module = app.jinja_env.get_template("cards.html").module
        # An autoescaped template's macro returns Markup: its fields were escaped.
        return getattr(module, macro)(dict(zip(fields, values, strict=True)))

    app.extensions[EXTENSION] = render
    app.jinja_env.globals["cards"] = cards
