"""The coordinators' people page: invites, roles, deactivation, resets, sessions."""

from casework.people.views import bp

__all__ = ["bp"]
