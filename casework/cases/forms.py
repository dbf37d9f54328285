"""Case forms: what a coordinator writes about a case, and the code look-up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from casework.store.cases import CaseDetails
from casework.web import labels
from casework.web.forms import CheckboxesField, Guarded, strip

NOTE_MAX = 500


class CaseForm(FlaskForm):
    languages = CheckboxesField(_l("Languages needed"))
    support_kinds = CheckboxesField(_l("Kinds of support"))
    context_note = TextAreaField(
        _l("Short context note"),
        description=_l(
            "At most 500 characters, for the team. Never a name, status, number or address."
        ),
        filters=[strip],
        validators=[Length(max=NOTE_MAX), Guarded()],
    )
    coordinator = SelectField(_l("Responsible coordinator"), validate_choice=True)

    def fill_choices(self, coordinators) -> None:
        """Choices come from the instance settings and the current coordinators."""
        self.languages.choices = labels.language_choices()
        self.support_kinds.choices = labels.kind_choices()
        self.coordinator.choices = [
            SelectChoice(str(row["id"]), row["handle"]) for row in coordinators
        ]

    def details(self) -> CaseDetails:
        return CaseDetails(
            languages=list(self.languages.data or []),
            support_kinds=list(self.support_kinds.data or []),
            context_note=self.context_note.data or "",
            coordinator_id=int(self.coordinator.data),
        )


class LookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    code = StringField(
        _l("Case code"),
        description=_l("For example K7M-4QX2-P9R. Lower case and missing dashes are fine."),
        filters=[strip],
        validators=[DataRequired(message=_l("Type a case code.")), Length(max=64)],
    )
