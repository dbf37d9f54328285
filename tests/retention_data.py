"""Kept only for scripts/bench_purge.py, outside tests/: tests use helpers.planted.

Remove once the script imports ``helpers.planted``.
"""

from helpers.planted import fill

__all__ = ["fill"]
