"""Parts of a page kept rendered, keyed by everything they show.

The volunteer home is the page phones reload most, and its content was most of its time
to render, although between two reloads it seldom changes; every page's top (head,
header, navigation) is the same for a person on every visit. A part is a template rendered
with only the values it is given (none of the request's: no ``current_user``, session or
``g``), and the key is those values as they are shown: each list of cards by its cards'
own values (casework.cards), everything else as given, and the reader's language, zone,
site root and CSRF token (the template may show a form). The data is read afresh for every
page; only its rendering is reused when every value shown is the same, so a part is never
stale. Bounded, in the server's memory only, emptied when the store locks.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from flask import Flask, current_app
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from casework.web import cards

# A few hundred people's homes (each some 8 kB) and pages' tops (2 kB).
CACHE_SIZE = 512
EXTENSION = "casework.web.parts"


def kept(template: str, shown: Hashable, *, form: bool = True, **values) -> Markup:
    """``template`` rendered with ``values``; ``shown`` must hold every value it shows
    (lists of cards as cards.values() gives them), and decides whether it is rendered again.
    ``form``: the part may show a form, so the session's CSRF token is part of the key (a
    part without one must not make a visitor a session just for a token).
    """
    reader = (*cards.reader(), generate_csrf() if form else None)
    return current_app.extensions[EXTENSION](template, shown, reader, values)


def page_top(title: str) -> Markup:
    """The top of every page (templates/top.html: head, header and navigation), for the
    person signed in, or for a visitor; ``title``: the page's title block, rendered."""
    user = current_user._get_current_object()
    person = None
    if user.is_authenticated:
        person = {
            "handle": user.handle,
            "coordinator": user.is_coordinator,
            "enrolling": user.needs_enrolment,
        }
    shown = (str(title), None if person is None else tuple(person.values()))
    return kept(
        "top.html", shown, form=person is not None,
        title=title, lang=cards.reader()[0], person=person,
    )  # fmt: skip


def forget(app: Flask) -> None:
    """Empty the cache (the store locked: nothing of its content stays rendered)."""
    app.extensions[EXTENSION].clear()


class _Parts:
    """An LRU of rendered parts; the values to render with are not part of the key."""

    def __init__(self, app: Flask, size: int) -> None:
        self.app, self.size = app, size
        self.cache: dict[tuple, Markup] = {}  # in use order, the least recent first
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:  # not while a request is trimming the cache
            self.cache.clear()

    def __call__(self, template: str, shown: Hashable, reader: tuple, values: dict) -> Markup:
        key = (template, shown, reader)
        with self.lock:
            found = self.cache.pop(key, None)
            if found is not None:
                self.cache[key] = found
                return found
        # An autoescaped template's output is Markup: every value in it was escaped.
        found = Markup(self.app.jinja_env.get_template(template).render(values))  # noqa: S704
        with self.lock:
            self.cache[key] = found
            while len(self.cache) > self.size:
                del self.cache[next(iter(self.cache))]
        return found


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _Parts(app, CACHE_SIZE)
    app.jinja_env.globals["page_top"] = page_top
