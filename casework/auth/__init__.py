"""Signing in and out, the second factor, and one-time links (setup, invites, resets)."""

from casework.auth import second_factor  # noqa: F401  (registers its routes on bp)
from casework.auth.links import bp as links_bp
from casework.auth.views import bp

__all__ = ["bp", "links_bp"]
