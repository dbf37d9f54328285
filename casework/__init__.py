"""casework: a privacy-first accompaniment tracker for grassroots support work.

Layers, lowest first (each may import only those before it; ``tests/test_layers.py``
checks it): ``rules`` (with ``config`` and ``clock``) → ``store`` → ``vault`` → ``web``
→ the blueprints → ``app``, ``server`` and ``cli``.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # ``from casework import create_app`` builds on Flask; importing the lower layers
    # (``casework.store``, ``casework.vault``…) must not load it, so it comes on demand.
    if name == "create_app":
        from casework.app import create_app

        return create_app
    raise AttributeError(f"module 'casework' has no attribute {name!r}")
