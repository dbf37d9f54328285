"""The sealed store in the browser: the unlock form and the Lock now button."""

from casework.seal.views import bp

__all__ = ["bp"]
