"""Profile forms: checkbox groups for languages and weekly availability."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from casework.rules import availability, languages
from casework.web import labels
from casework.web.forms import CheckboxesField
from casework.web.i18n import LANGUAGE_NAMES


def _slot_choices() -> list[SelectChoice]:
    return [
        SelectChoice(str(availability.slot(day, part)), f"{day_label} {part_label}")
        for day, day_label in enumerate(labels.DAY_LABELS)
        for part, part_label in enumerate(labels.PART_LABELS)
    ]


class ProfileForm(FlaskForm):
    languages = CheckboxesField(
        _l("Languages you speak"),
        description=_l("Tick every language you can accompany someone in."),
        choices=[SelectChoice(code, label) for code, label in languages.SPOKEN.items()],
    )
    availability = CheckboxesField(
        _l("When you are usually available"),
        description=_l("A usual week; you still choose each accompaniment."),
        choices=_slot_choices,
    )
    ui_language = SelectField(
        _l("Interface language"),
        choices=[
            SelectChoice("", _l("The language of my browser")),
            *(SelectChoice(code, label) for code, label in LANGUAGE_NAMES.items()),
        ],
    )
