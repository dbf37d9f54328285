"""Task forms: a new accompaniment, a debrief, and naming who goes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from casework.rules import localtime
from casework.store.tasks import OUTCOMES, TaskDetails
from casework.web import labels
from casework.web.forms import CheckboxesField, Guarded, strip

DURATIONS = (30, 60, 90, 120, 150, 180, 240, 300, 360, 480)
PLACE_MAX = 120
INSTRUCTIONS_MAX = 1000
NOTE_MAX = 500


def _duration_label(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


class TaskForm(FlaskForm):
    kind = SelectField(_l("Kind of accompaniment"), validate_choice=True)
    day = StringField(
        _l("Date"),
        render_kw={"type": "date"},
        validators=[DataRequired(message=_l("Give the date.")), Length(max=10)],
    )
    start = StringField(
        _l("Start time"),
        description=_l("Local time, for example 09:30."),
        render_kw={"type": "time"},
        validators=[DataRequired(message=_l("Give the start time.")), Length(max=8)],
    )
    duration = SelectField(
        _l("Duration (hours:minutes)"),
        coerce=int,
        default=120,
        choices=[SelectChoice(m, _duration_label(m)) for m in DURATIONS],
    )
    place = StringField(
        _l("Place"),
        description=_l("A public place: court, clinic, office. Never someone's home."),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Give the place.")),
            Length(max=PLACE_MAX),
            Guarded(allow_street_address=True),
        ],
    )
    meeting_point = StringField(
        _l("Meeting point"),
        filters=[strip],
        validators=[Length(max=PLACE_MAX), Guarded(allow_street_address=True)],
    )
    people_needed = SelectField(
        _l("People needed"),
        coerce=int,
        default=2,
        choices=[SelectChoice(n, str(n)) for n in range(1, 6)],
    )
    languages = CheckboxesField(_l("Languages"))
    instructions = TextAreaField(
        _l("Instructions"),
        description=_l("Only for the people who go. Never a name, status, number or address."),
        filters=[strip],
        validators=[Length(max=INSTRUCTIONS_MAX), Guarded()],
    )
    urgent = BooleanField(_l("Urgent"))

    def prepare(self, zone: str, now: int) -> TaskForm:
        """Choices from the settings; the zone and clock the dates are read with."""
        self.kind.choices = labels.kind_choices()
        self.languages.choices = labels.language_choices()
        self.zone, self.now, self.starts_at = zone, now, None
        return self

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.day.errors or self.start.errors:
            return False
        day = localtime.parse_date(self.day.data)
        at = localtime.parse_time(self.start.data)
        if day is None:
            self.day.errors.append(_l("Give a date that exists, like 2026-03-14."))
        if at is None:
            self.start.errors.append(_l("Give a time like 09:30."))
        if day is None or at is None:
            return False
        try:
            self.starts_at = localtime.to_utc(day, at, self.zone)
        except localtime.NoSuchLocalTime:
            self.start.errors.append(
                _l("This time does not exist that day: the clocks change. Choose another time.")
            )
            return False
        if self.starts_at <= self.now:
            self.day.errors.append(_l("This date and time have already passed."))
            return False
        if day.year > localtime.to_local(self.now, self.zone).year + localtime.MAX_YEARS_AHEAD:
            self.day.errors.append(_l("This date is too far ahead: check the year."))
            return False
        return valid

    def details(self) -> TaskDetails:
        return TaskDetails(
            kind=self.kind.data,
            starts_at=self.starts_at,
            ends_at=self.starts_at + self.duration.data * 60,
            place=self.place.data,
            meeting_point=self.meeting_point.data or "",
            people_needed=self.people_needed.data,
            languages=list(self.languages.data or []),
            instructions=self.instructions.data or "",
            urgent=bool(self.urgent.data),
        )


class DebriefForm(FlaskForm):
    outcome = RadioField(
        _l("What happened?"),
        choices=[SelectChoice(key, labels.OUTCOME_LABELS[key]) for key in OUTCOMES],
        validators=[DataRequired(message=_l("Choose what happened."))],
    )
    note = TextAreaField(
        _l("Short note"),
        description=_l("At most 500 characters. Never a name, status, number or address."),
        filters=[strip],
        validators=[Length(max=NOTE_MAX), Guarded()],
    )


class AssignForm(FlaskForm):
    volunteer = StringField(
        _l("Pseudonym"), filters=[strip], validators=[DataRequired(), Length(max=64)]
    )
