"""The one source of "now": whole seconds since the epoch (UTC), read from a ``Source``.

A running app keeps its source in ``app.config["CASEWORK_CLOCK"]`` (``web.context.now()``
reads it in a request), so that tests move time instead of sleeping; the command line
reads the system's.

May import: the standard library only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Source = Callable[[], float]
SYSTEM: Source = time.time


def now(source: Source = SYSTEM) -> int:
    """Seconds since the epoch (UTC), from ``source``."""
    return int(source())
