"""A person's own page: languages, availability, interface language, password, sessions."""

from casework.profile.views import bp

__all__ = ["bp"]
