"""Kept only for scripts/bench_http.py, outside tests/: tests use helpers.live.

Remove once the script imports ``helpers.live`` and calls ``LiveClient.post``.
"""

from helpers import live
from helpers.forms import CSRF

__all__ = ["CSRF", "LiveClient"]


class LiveClient(live.LiveClient):
    post_form = live.LiveClient.post
