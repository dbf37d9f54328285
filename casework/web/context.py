"""What a request reads from its app: the store, this thread's connection, the time."""

from __future__ import annotations

from flask import Flask, current_app

from casework import clock
from casework.store.db import Connection
from casework.vault.store import Store


def init_app(app: Flask) -> None:
    app.config.setdefault("CASEWORK_CLOCK", clock.SYSTEM)


def app_now(app: Flask) -> int:
    """Seconds since the epoch (UTC), from ``app``'s clock (tests move it)."""
    return clock.now(app.config["CASEWORK_CLOCK"])


def now() -> int:
    """Seconds since the epoch (UTC), from the current app's clock."""
    return app_now(current_app)


def get_store() -> Store:
    """The app's store (sealed or not)."""
    return current_app.extensions["casework_store"]


def get_db() -> Connection:
    """This request thread's long-lived connection (raises Sealed when locked)."""
    return get_store().conn()
