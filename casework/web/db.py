"""The app's store and this request thread's connection."""

from __future__ import annotations

from flask import current_app

from casework.store.db import Connection
from casework.vault.store import Store


def get_store() -> Store:
    """The app's store (sealed or not)."""
    return current_app.extensions["casework_store"]


def get_db() -> Connection:
    """This request thread's long-lived connection (raises Sealed when locked)."""
    return get_store().conn()
