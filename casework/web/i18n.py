"""Interface language: the person's choice, else the browser's, else the instance default."""

from __future__ import annotations

import functools
from contextvars import ContextVar

from babel.support import NullTranslations
from flask import Flask, current_app, request
from flask_babel import Babel, get_locale, get_translations
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from casework.config import LANGUAGES

LANGUAGE_NAMES = {"fr": "Français", "en": "English", "es": "Español"}


def select_locale() -> str:
    user = current_user._get_current_object()
    if user and user.is_authenticated and user.ui_language in LANGUAGES:
        return user.ui_language
    best = _best_language(request.headers.get("Accept-Language", ""))
    return best or current_app.config["CASEWORK"]["default_language"]


@functools.lru_cache(maxsize=256)
def _best_language(header: str) -> str | None:
    """Our language a browser's Accept-Language prefers: parsed once per distinct header
    (phones send the same few), not on every page."""
    return parse_accept_header(header, LanguageAccept).best_match(LANGUAGES)


def select_timezone() -> str:
    return current_app.config["CASEWORK"]["timezone"]


# The request's catalog, looked up once: a page with many cards calls gettext hundreds of
# times, and flask_babel finds the catalog again through its context on every call.
_catalog: ContextVar[tuple[object, NullTranslations] | None] = ContextVar(
    "casework_catalog", default=None
)


def _request_catalog() -> NullTranslations:
    try:
        current = request._get_current_object()
    except RuntimeError:  # outside a request: no caching to do
        return get_translations()
    found = _catalog.get()
    if found is None or found[0] is not current:
        found = (current, get_translations())
        _catalog.set(found)
    return found[1]


def _template_gettext(text: str) -> str:
    return _request_catalog().ugettext(text)


def _template_ngettext(singular: str, plural: str, number: int) -> str:
    return _request_catalog().ungettext(singular, plural, number)


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["CASEWORK"]["default_language"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["CASEWORK"]["timezone"]
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale)
    app.jinja_env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)
