"""Validators and fields every form shares: the identifier guard, control characters,
multi-choice checkboxes, the empty confirm form. One place, so every blueprint refuses the
same way."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets
from wtforms.validators import ValidationError

from casework.rules import guard

# What each kind of finding is called in the refusal message.
FINDING_PHRASES = {
    "email": _l("an e-mail address"),
    "phone": _l("a phone number"),
    "sin": _l("a social insurance number"),
    "client_id": _l("a client or file number"),
    "passport": _l("a passport number"),
    "birth_date": _l("a date of birth"),
    "postal_code": _l("a postal code"),
    "street_address": _l("a street address"),
}
# Line breaks and tabs are text; every other control character is refused.
ALLOWED_CONTROLS = frozenset("\n\r\t")


def refusal_message(findings: list[guard.Finding]) -> str:
    """Name what was found, in the reader's language, and say why it is refused."""
    kinds = list(dict.fromkeys(f.kind for f in findings))
    found = ", ".join(str(FINDING_PHRASES.get(kind, kind)) for kind in kinds)
    return _(
        "This looks like %(found)s. We never store this kind of information: "
        "remove it and try again.",
        found=found,
    )


def has_control_chars(text: str) -> bool:
    """True for NUL and other invisible control characters (line breaks excepted)."""
    return any(
        unicodedata.category(ch) in ("Cc", "Cs") and ch not in ALLOWED_CONTROLS for ch in text
    )


class Guarded:
    """WTForms validator: refuse control characters and anything the guard finds."""

    def __init__(self, *, allow_street_address: bool = False) -> None:
        self.allow_street_address = allow_street_address

    def __call__(self, _form, field) -> None:
        text = field.data or ""
        if has_control_chars(text):
            raise ValidationError(_("Remove the invisible control characters from this text."))
        findings = guard.find_identifiers(text, allow_street_address=self.allow_street_address)
        if findings:
            raise ValidationError(refusal_message(findings))


class ConfirmForm(FlaskForm):
    """A POST that only confirms (a button, a confirmation page): the CSRF token alone."""


@dataclass(frozen=True)
class Confirmation:
    """What templates/confirm.html asks before a change that cannot be undone."""

    heading: str
    sentences: list[str]  # what will happen, one paragraph each
    button: str
    action: str  # where the confirming POST goes
    back: str  # where "go back" leads, and its words
    back_label: str
    destructive: bool = False
    hidden: tuple[tuple[str, str], ...] = ()  # fields the confirming POST carries


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (works without script, one tap each);
    a value outside the choices is a form error. Rendered by macros.checkbox_group."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form) -> None:
        allowed = {choice.value for choice in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(_("Choose from the list."))


def strip(value):
    """Filter: surrounding spaces are never meaningful in our text fields."""
    return value.strip() if isinstance(value, str) else value
