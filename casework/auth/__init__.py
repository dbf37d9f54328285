"""Signing in and out, the second factor, and one-time links (setup, invites, resets)."""

from casework.auth import second_factor, views
from casework.auth.blueprint import bp
from casework.auth.links import bp as links_bp

__all__ = ["bp", "links_bp", "second_factor", "views"]
