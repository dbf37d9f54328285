"""Signing in and out, and the first coordinator's one-time setup link."""

from casework.auth.views import bp

__all__ = ["bp"]
