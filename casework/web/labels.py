"""Translated labels for stored keys (task kinds, outcomes, states, languages) and filters."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime

from babel import Locale, UnknownLocaleError, dates, numbers
from flask import Flask, current_app
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from casework.rules.languages import SPOKEN

KIND_LABELS = {
    "hearing": _l("Hearing"),
    "border_agency": _l("Border-agency appointment"),
    "detention_visit": _l("Detention visit"),
    "medical": _l("Medical appointment"),
    "school": _l("School"),
    "legal_aid": _l("Legal aid"),
    "social_services": _l("Housing, food or social services"),
    "other": _l("Other"),
}
OUTCOME_LABELS = {
    "done": _l("Done"),
    "postponed": _l("Postponed"),
    "did_not_happen": _l("Did not happen"),
    "follow_up": _l("Needs follow-up"),
    "urgent": _l("Urgent"),
}
# The weekly availability grid (rules.availability): Monday first, then the parts of a day.
DAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
PART_LABELS = (_l("Morning"), _l("Afternoon"), _l("Evening"))
STATE_LABELS = {
    "open": _l("Needs people"),
    "staffed": _l("Staffed"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
    "closed": _l("Closed"),
}


def kinds() -> list[str]:
    """The instance's task kinds (keys), in configured order."""
    return list(current_app.config["CASEWORK"]["tasks.kinds"])


def spoken() -> list[str]:
    """The instance's language codes, in configured order."""
    return list(current_app.config["CASEWORK"]["languages.spoken"])


def kind_label(key: str) -> str:
    """A kind in the reader's language; a custom kind shows its key readably."""
    return _kind_label(key, str(get_locale()))


@functools.lru_cache(maxsize=512)
def _kind_label(key: str, _reader: str) -> str:
    label = KIND_LABELS.get(key)  # the lazy string translates into the current locale
    return str(label) if label is not None else key.replace("_", " ").capitalize()


# Languages CLDR does not name (the region's sign languages): named through the catalogs.
SIGN_LANGUAGE_LABELS = {
    "fcs": _l("Quebec Sign Language (LSQ)"),
    "ase": _l("American Sign Language (ASL)"),
}


def language_label(code: str) -> str:
    """A language named in the reader's language (from CLDR data, no catalog needed),
    else in its own name."""
    return _language_name(code, str(get_locale()))


@functools.lru_cache(maxsize=512)
def _language_name(code: str, reader: str) -> str:
    if code in SIGN_LANGUAGE_LABELS:  # the lazy string translates into the current locale
        return str(SIGN_LANGUAGE_LABELS[code])
    try:
        name = Locale.parse(code).get_display_name(reader) or SPOKEN.get(code, code)
    except (ValueError, UnknownLocaleError):
        return SPOKEN.get(code, code)
    return name[:1].upper() + name[1:]


@functools.lru_cache(maxsize=1024)
def _language_list(text: str, reader: str) -> str:
    return ", ".join(_language_name(c, reader) for c in split_codes(text))


def language_labels(text: str | None) -> str:
    """Stored comma-separated language codes as names in the reader's language."""
    return _language_list(text or "", str(get_locale()))


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(key, kind_label(key)) for key in kinds()]


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, language_label(code)) for code in spoken()]


def split_codes(text: str | None) -> list[str]:
    """Stored comma-separated keys back to a list."""
    return [item for item in (text or "").split(",") if item]


AREA_WORDS = 5
# A name cut after one of these is cut mid-name ("Banque alimentaire du"): cut before.
_LINK_WORDS = frozenset(
    [
        "de",
        "du",
        "des",
        "d'",
        "la",
        "le",
        "les",
        "l'",
        "et",
        "of",
        "the",
        "and",
        "at",
        "del",
        "y",
        "el",
        "los",
        "las",
        "en",
        "au",
        "aux",
        "à",
    ]
)


def area(place: str | None) -> str:
    """The coarse area shown to volunteers who are not going: the place's name before
    its first comma, never a number (a civic number or a room would say more than
    needed), and never ending on a word that joins it to the rest of a name."""
    head = (place or "").split(",", 1)[0]
    words = [w for w in head.split() if not any(ch.isdigit() for ch in w)][:AREA_WORDS]
    while words and words[-1].lower() in _LINK_WORDS:
        words.pop()
    return " ".join(words) or str(_l("Place given to the people who go"))


def when(epoch: int | None, style: str = "medium") -> str:
    """An epoch second shown in the instance time zone and the reader's language."""
    if epoch is None:
        return ""
    return _when(epoch, style, get_timezone(), get_locale())


# Every volunteer's home shows the same upcoming tasks: their dates are formatted once.
@functools.lru_cache(maxsize=8192)
def _when(epoch: int, style: str, zone, locale) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    pattern = WHEN_PATTERNS.get(style, WHEN_PATTERNS["medium"])
    return dates.format_datetime(moment, pattern, tzinfo=zone, locale=locale)


WHEN_PATTERNS = {"time": "HH:mm", "day": "EEEE d MMMM", "medium": "EEE d MMM, HH:mm"}


# How a heading names a day in each interface language ("lundi 30 novembre").
LONG_DATE = {"es": "EEEE d 'de' MMMM"}


def long_date(day: date) -> str:
    """A calendar day as a heading says it, in the reader's language."""
    locale = get_locale()
    pattern = LONG_DATE.get(str(locale.language), "EEEE d MMMM")
    return dates.format_date(day, pattern, locale=locale)


def seconds(value: float) -> str:
    """A duration in seconds, with the reader's decimal sign ("0,01 s" in French)."""
    shown = numbers.format_decimal(round(value, 2), "0.00", locale=get_locale())
    return f"{shown}\u00a0s"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        when=when,
        kind_label=kind_label,
        area=area,
        outcome_label=lambda key: OUTCOME_LABELS.get(key, key),
        state_label=lambda key: STATE_LABELS.get(key, key),
        languages=language_labels,
        long_date=long_date,
        seconds=seconds,
    )
