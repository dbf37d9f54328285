"""Case pages: open, look up, edit, close and reopen cases (coordinators only)."""

from casework.cases.views import bp

__all__ = ["bp"]
