"""Task pages: create, staff, cancel and debrief accompaniments; the week view."""

from casework.tasks.views import bp

__all__ = ["bp"]
