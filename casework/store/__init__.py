"""Every SQL statement of casework, and nothing from Flask, Werkzeug or WTForms.

One module per aggregate (cases, tasks, staffing, users, people, invites, sessions, audit,
boards, retention with its purge steps, purge reports, the demo filler's writes); ``db`` is
the only module that imports the database driver and keys connections, ``migrations``
applies ``schema/*.sql``.
Functions take a connection first, raise ``NotFound`` for what is not there (or not the
reader's to see), and return plain rows or dataclasses.

May import: ``casework.rules``, ``casework.clock``, the standard library, the driver.
"""

from __future__ import annotations

from casework.store.db import StoreError, WrongKey


class NotFound(LookupError):
    """What was asked for does not exist, or is not the reader's to see (a 404 on the web)."""


__all__ = ["NotFound", "StoreError", "WrongKey"]
