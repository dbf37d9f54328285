"""The home page (the role's own: needs-people board or volunteer home) and the health check."""

from casework.home.views import bp

__all__ = ["bp"]
