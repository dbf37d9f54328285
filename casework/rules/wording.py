"""Messages for people, written in English and translated where they are shown.

A lower layer cannot know the operator's or the visitor's language; it raises an
``Explained`` error made of an English template (marked with ``N_`` so that
``./scripts/i18n`` extracts it) and its values, and the layer that shows it translates the
template and fills it in. No I/O, nothing imported.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for extraction: it is translated where it is shown."""
    return message


class Explained(Exception):
    """An error whose message is a template (``{name}`` placeholders) and its values."""

    def __init__(self, template: str, **values: Any) -> None:
        super().__init__(template.format(**values) if values else template)
        self.template = template
        self.values = values
