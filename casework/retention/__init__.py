"""The coordinators' retention page: what the next runs will delete, and past runs."""

from casework.retention.views import bp

__all__ = ["bp"]
