"""Interface language: the person's choice, else the browser's, else the instance default."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale
from flask_login import current_user

from casework.config import LANGUAGES

LANGUAGE_NAMES = {"fr": "Français", "en": "English", "es": "Español"}


def select_locale() -> str:
    user = current_user
    if user and user.is_authenticated and user.ui_language in LANGUAGES:
        return user.ui_language
    best = request.accept_languages.best_match(LANGUAGES)
    return best or current_app.config["CASEWORK"]["default_language"]


def select_timezone() -> str:
    return current_app.config["CASEWORK"]["timezone"]


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["CASEWORK"]["default_language"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["CASEWORK"]["timezone"]
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale)
