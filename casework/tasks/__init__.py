"""Task pages: create, staff, cancel and debrief accompaniments; the week view."""

from casework.tasks import staffing_views, views, week
from casework.tasks.blueprint import bp

__all__ = ["bp", "staffing_views", "views", "week"]
