"""The one source of "now", so that tests can move time instead of sleeping."""

from __future__ import annotations

import time

from flask import Flask, current_app


def init_app(app: Flask) -> None:
    app.config.setdefault("CASEWORK_CLOCK", time.time)


def now() -> int:
    """Seconds since the epoch (UTC), from the app's clock."""
    return int(current_app.config["CASEWORK_CLOCK"]())
