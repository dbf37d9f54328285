"""Translated error pages: a clear sentence in the person's language, never a stack trace."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from casework.store import NotFound
from casework.vault.store import Sealed

log = logging.getLogger("casework")

MESSAGES = {
    400: (
        _l("Something was wrong with that request"),
        _l("Go back, reload the page and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Not found"), _l("This page does not exist, or you do not have access to it.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too much text"), _l("What you sent is too long. Shorten it and try again.")),
    429: (_l("Too many attempts"), _l("Wait a minute, then try again.")),
    500: (_l("Something went wrong"), _l("Nothing was saved. Try again in a moment.")),
}


def error_page(code: int):
    title, detail = MESSAGES.get(code, MESSAGES[500])
    return render_template("error.html", code=code, title=title, detail=detail), code


def sealed_page():
    """What every page shows while the store is locked: nothing but that fact."""
    return render_template("sealed.html"), 503


def _http_error(exc: HTTPException):
    return error_page(exc.code or 500)


def _csrf_error(_exc: CSRFError):
    return error_page(400)


def _not_found(_exc: NotFound):
    return error_page(404)


def _sealed(_exc: Sealed):
    return sealed_page()


def unexpected(exc: Exception):
    # Type and place only: exception messages can quote user input.
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    log.error("unhandled %s at %s", type(exc).__name__, where)
    return error_page(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(Sealed, _sealed)
    app.register_error_handler(Exception, unexpected)
