"""Serving over a hostile network: an asyncio front reads whole requests (TLS handshake,
head and body) under deadlines and size limits, then hands each one to a fixed pool of
threads running the WSGI app; no client can hold a thread or the store by going slow.

May import only the standard library and ``casework.config`` settings passed in as a
plain dict; ``casework.server`` (certificates, the CLI's entry) builds on it.
"""

from casework.serving.front import Front, Limits

__all__ = ["Front", "Limits"]
