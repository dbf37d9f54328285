"""Translated error pages: a clear sentence in the person's language, never a stack trace.

Every failure the app did not expect is logged here and only here, as its type, the place
it was raised and a running count: never the request's path (case codes, task tokens), a
message (it can quote input) or a traceback. A full disk is named as such, to the person
(507, "nothing was saved"), to coordinators (a line on the board for an hour) and in the
log ("disk full").
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
from pathlib import Path

from flask import Flask, current_app, g, render_template, session
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from casework.store import NotFound
from casework.store.db import is_disk_full
from casework.vault.store import Sealed
from casework.web.context import app_now

log = logging.getLogger("casework")
DISK_FULL = 507  # Insufficient Storage: the request was fine, the server could not keep it
# Coordinators see the board's warning this long after the last refused write.
DISK_FULL_SHOWN_SECONDS = 3600
_failures = itertools.count(1)
VIEW_FAILED = "casework_view_failed"

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
    DISK_FULL: (
        _l("The server's disk is full"),
        _l("Nothing was saved: tell a coordinator."),
    ),
}
# When the page was made but saving the session failed: the change itself may be stored.
AFTER_THE_CHANGE = {
    500: (
        _l("Something went wrong"),
        _l("Your change may have been saved: look before you try again."),
    ),
    DISK_FULL: (
        _l("The server's disk is full"),
        _l("Your change may have been saved, not all of it: look, and tell a coordinator."),
    ),
}


class DiskAlarm:
    """When a write last failed for want of disk space, and how many did (no content)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last_at: int | None = None
        self.refused = 0

    def record(self, now: int) -> int:
        with self._lock:
            self.last_at, self.refused = now, self.refused + 1
            return self.refused

    def recent(self, now: int) -> bool:
        return self.last_at is not None and now - self.last_at < DISK_FULL_SHOWN_SECONDS


def disk_alarm(app: Flask) -> DiskAlarm:
    return app.extensions["casework_disk"]


def note_disk_full(app: Flask) -> None:
    """Count a write refused for want of space; the log says "disk full" and no more."""
    refused = disk_alarm(app).record(app_now(app))
    log.error("disk full: a write was refused (%d so far)", refused)


def error_page(code: int, after_the_change: bool = False):
    messages = AFTER_THE_CHANGE if after_the_change else MESSAGES
    title, detail = messages.get(code, messages[500])
    return render_template("error.html", code=code, title=title, detail=detail), code


def sealed_page():
    """What every page shows while the store is locked: nothing but that fact."""
    return render_template("sealed.html"), 503


def disk_full_page(after_the_change: bool = False):
    note_disk_full(current_app)
    return error_page(DISK_FULL, after_the_change)


def _http_error(exc: HTTPException):
    # Flask wraps a failure outside the view (saving the session) in a 500: its cause decides.
    original = getattr(exc, "original_exception", None)
    if original is not None:
        if isinstance(original, Sealed):
            return sealed_page()
        # Saving the session failed after a view that did its work (not after its error).
        after_the_change = getattr(session, "save_failed", False) and not g.get(VIEW_FAILED)
        if is_disk_full(original):
            return disk_full_page(after_the_change)
        return error_page(500, after_the_change)
    return error_page(exc.code or 500)


def _csrf_error(_exc: CSRFError):
    return error_page(400)


def _not_found(_exc: NotFound):
    return error_page(404)


def _sealed(_exc: Sealed):
    return sealed_page()


def describe(exc: BaseException) -> str:
    """Type and place only ("OperationalError at sessions.py:42"): messages quote input."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    return f"{type(exc).__name__} at {where}"


def log_failure(exc: BaseException) -> None:
    """The one log line for a failure nobody handled (Flask's own handler included)."""
    if not is_disk_full(exc):  # a full disk is logged by the page that says so
        log.error("unhandled %s (%d so far)", describe(exc), next(_failures))


def unexpected(exc: Exception):
    g.setdefault(VIEW_FAILED, True)
    if is_disk_full(exc):
        return disk_full_page()
    log_failure(exc)
    return error_page(500)


def without_traceback(record: logging.LogRecord) -> bool:
    """A logging filter: a record carrying an exception keeps its type and place only."""
    if record.exc_info and record.exc_info[1] is not None:
        record.msg, record.args = "%s: %s", (record.getMessage(), describe(record.exc_info[1]))
        record.exc_info, record.exc_text = None, None
    return True


def init_app(app: Flask) -> None:
    app.extensions["casework_disk"] = DiskAlarm()
    # Flask's "Request finalizing failed…" line names no path but carries a traceback.
    app.logger.addFilter(without_traceback)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(Sealed, _sealed)
    app.register_error_handler(Exception, unexpected)
