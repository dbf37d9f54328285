"""Identifier guard: finds what must never be saved in a free-text field.

Refuses e-mail addresses, phone numbers, ID-number shapes (SIN, client and file numbers,
passports), dates of birth, postal codes and street addresses, written in English,
Québec French or Spanish. Pure and stdlib-only so forms, the CLI and tests share it.

The guard errs on the side of refusing: a false alarm costs a rephrasing, a miss leaks
an identifier into the store. Appointment details (times, recent or coming dates, rooms,
amounts, floors, case codes, transit lines, durations, counts) must still pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

KINDS = (
    "email",
    "phone",
    "sin",
    "client_id",
    "passport",
    "birth_date",
    "postal_code",
    "street_address",
)
# a full date older than this many years is a birth date, not an appointment
BIRTH_DATE_MIN_AGE_YEARS = 10


@dataclass(frozen=True)
class Finding:
    """One identifier found in a text: its kind (one of KINDS) and its span."""

    kind: str
    start: int
    end: int


# Patterns start with a lookbehind or \b and never nest open-ended repeats, so the engine never
# restarts inside a run of word characters or digits: scanning stays linear on any input.

_SEP = r"[ \u00a0\u202f.\-\u2011]"  # space, no-break spaces, dot, hyphens
_GROUP_SEP = r"[ \u00a0\u202f\-\u2011]"  # dots excluded: "1.234.567" is an amount

EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}")
_AT = r"(?:\s{1,3}(?i:at|arobase|arroba)\s{1,3}|\s?[\[(]\s?(?i:at|arobase|arroba|@)\s?[\])]\s?)"
_DOT = r"(?:\.|\s{1,3}(?i:dot|point|punto)\s{1,3}|\s?[\[(](?i:dot|point|punto)[\])]\s?)"
# "jean at gmail dot com": only with a known top-level domain, or "meet at noon" would match
OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+\-])[\w.+\-]{{1,64}}{_AT}[\w\-]{{1,63}}{_DOT}"
    r"(?i:com|ca|org|net|fr|es|mx|co|info|edu|gouv\.qc\.ca|qc\.ca)\b"
)

# North American: optional +1, area and exchange codes never start with 0 or 1
PHONE_NANP = re.compile(
    rf"(?<![\w+])(?:\+?1{_SEP}?)?(?:\([2-9]\d{{2}}\)|[2-9]\d{{2}}){_SEP}?"
    rf"[2-9]\d{{2}}{_SEP}?\d{{4}}(?!\d)"
)
# one digit per repetition so the digit count is the only thing that can vary
PHONE_INTERNATIONAL = re.compile(
    rf"(?<![\w+])\+\d{{1,3}}(?:{_SEP}?\(\d{{1,4}}\))?(?:{_SEP}?\d){{5,14}}(?!\d)"
)
PHONE_MIN_DIGITS = 8

# 3-3-3 (SIN), 4-4 and 2-4-4 (IRCC UCI), 3-3-4, or 8+ digits in a row
DIGIT_GROUPS = re.compile(
    rf"(?<![\w\-])(?<!\d{_GROUP_SEP})"
    rf"(?:\d{{3}}({_GROUP_SEP})\d{{3}}\1\d{{3,4}}|\d{{4}}{_GROUP_SEP}\d{{4}}"
    rf"|\d{{2}}({_GROUP_SEP})\d{{4}}\2\d{{4}}|\d{{8,}})"
    rf"(?![\w\-])(?!{_GROUP_SEP}\d)"
)
YEAR_RANGE = re.compile(r"(?:19|20)\d\d\D(?:19|20)\d\d")
LETTER_FILE_NUMBER = re.compile(r"(?<![\w\-])[A-Za-z]{1,3}\d{9,10}(?![\w\-])")
CLIENT_KEYWORD = re.compile(
    r"\b(?i:UCI|IUC|client|dossier|file|expediente|n[úu]mero|num[ée]ro|number|ID)\b"
    rf"[^\d\n]{{0,20}}?(?<!\d{_GROUP_SEP})"
    rf"(?P<number>\d{{6,}}|\d{{2,4}}(?:{_GROUP_SEP}\d{{3,4}}){{1,2}})(?![\w\-])"
)

PASSPORT_SHAPE = re.compile(r"(?<![\w\-])[A-Za-z]{1,2}\d{6,8}(?![\w\-])")
PASSPORT_KEYWORD = re.compile(
    r"\b(?i:passport|passeport|pasaporte)\b"
    r"(?:\s*(?i:no|n[°º]|number|num[ée]ro|número|núm)\.?)?\s*[:#]?\s*"
    r"(?P<number>(?=[A-Za-z]{0,3}\d)[A-Za-z0-9]{6,12})\b"
)

# letters D, F, I, O, Q, U never appear; W and Z never start a postal code
POSTAL_CODE_CA = re.compile(
    r"(?<![\w\-])(?i:[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ \u00a0]?\d[ABCEGHJ-NPRSTV-Z]\d)"
    r"(?![\w\-])"
)
ZIP_PLUS_FOUR = re.compile(r"(?<![\w\-])\d{5}-\d{4}(?![\w\-])")
POSTAL_KEYWORD = re.compile(
    r"(?<!\w)(?i:C\.\s?P\.|CP|código\s+postal|code\s+postal|postal\s+code|zip(?:\s+code)?)"
    r"\s*:?\s*(?P<number>\d{4,6})\b"
)

_CIVIC = r"(?<![\w\-.,])\d{1,5}[A-Za-z]?(?:-\d{1,5}[A-Za-z]?)?"
_NAME_WORD = r"[A-ZÀ-ÝÑ][\w'’\-]*"
# A number after a street that is a time ("9h", "2pm", "2 horas"), a count, a duration or
# a floor ("3e étage"), not a civic number. A letter after the number ("1234A") is part of
# it, unless it starts a word ("2pm") or is an hour ("9h").
_CIVIC_LAST = (
    r"\d{1,5}(?!\d)(?:(?![hH])[A-Za-z](?![A-Za-z]))?"
    r"(?![:.,h]\d|\s*(?i:h|hrs?|am|pm|[ap]\.m\.|min|personnes?|people|personas?|fois|times"
    r"|veces|ans|years|años|minutes|minutos|heures|hours|horas)(?!\w)"
    r"|\s*(?i:e|er|ème|è|st|nd|rd|th|º|°)?\s*(?i:étage|floor|piso)\b)"
)
# "rue", "avenue" are always streets; "place", "côte" only before a name ("2 places")
CIVIC_FR = re.compile(
    rf"{_CIVIC},?\s+(?:"
    r"(?i:rue|boulevard|boul\.?|bd\.?|blvd\.?|avenue|av\.|ave\.?|chemin|ch\.|montée|rang|route"
    r"|allée|impasse|promenade)\s+(?:(?i:de\s+la|d[eu]s?)\s+|[dl]['’])?[\w\-]+"
    r"|(?i:place|pl\.|côte|croissant|terrasse|carré|square)\s+(?:(?i:de\s+la|d[eu]s?)\s+)?"
    r"[A-ZÀ-Ý][\w\-]*)"
)
# names must be capitalised so "3 people on the street" passes; no "Court" (Federal Court)
CIVIC_EN = re.compile(
    rf"{_CIVIC}\s+(?:{_NAME_WORD}\.?\s+){{1,3}}"
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|drive|dr|lane|ln|way|crescent|cres"
    r"|terrace|place|pl)\b\.?"
)
_ES_STREET = (
    r"\b(?i:calle|c/|avenida|avda\.?|av\.|paseo|calzada|callejón|privada|camino|bulevar"
    r"|carrera|cra\.?|diagonal|transversal|plaza)"
)
_ES_LINK = r"(?i:de|del|la|las|los|el|y)"
CIVIC_ES = re.compile(
    # Up to four link words first: "Plaza de las y los Trabajadores 3".
    rf"{_ES_STREET}\s+(?:{_ES_LINK}\s+){{0,4}}{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|{_ES_LINK})){{0,3}}"
    rf",?\s*(?:#|(?i:no|n[úu]m|número|n°)\.?)?\s*{_CIVIC_LAST}"
)
# Colombian grid addresses: "Carrera 7 # 45-10"
CIVIC_GRID = re.compile(
    rf"{_ES_STREET}\s*\d{{1,3}}[A-Za-z]?\s*(?:#|(?i:no|n°)\.?)\s*\d{{1,3}}[A-Za-z]?\s*-\s*\d{{1,3}}\b"
)
# The same streets written name first and number last ("rue Saint-Denis 1234", "Sherbrooke
# Street 1234", "1234 calle Mayor"): the number must not be a time, a count or a room.
_NOT_A_PLACE_WORD = (
    r"(?!(?i:salle|room|sala|bus|autobús|ligne|line|l[ií]nea|local|bureau|office|porte|door"
    r"|gate|étage|floor|piso|quai|m[ée]tro|sortie|exit|salida)\b)"
)
_ANY_NAME = rf"{_NOT_A_PLACE_WORD}[\w'’\-]+"
# Nor after "à", "vers", "at", "a las" ("rue Saint-Denis vers 9", "calle Mayor a las 2").
_NOT_AT_A_TIME = r"(?<!\b(?i:a|à))(?<!\b(?i:at|la))(?<!\b(?i:las))(?<!\b(?i:vers))"
CIVIC_STREET_FIRST = re.compile(
    r"\b(?i:rue|boulevard|boul\.|bd\.|avenue|av\.|chemin|ch\.|montée|route|allée|impasse"
    rf"|promenade|calle|avenida|avda\.|paseo|calzada|camino|bulevar)\s+{_ANY_NAME}"
    rf"(?:\s+{_ANY_NAME}){{0,3}}{_NOT_AT_A_TIME},?\s+(?:#\s*|(?i:no|n[úu]m|número|n\.?[º°])\.?\s*)?"
    rf"{_CIVIC_LAST}"
)
CIVIC_EN_NUMBER_LAST = re.compile(
    rf"\b{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}\s+"
    rf"(?i:street|avenue|road|boulevard|drive|lane),?\s+{_CIVIC_LAST}"
)
CIVIC_ES_NUMBER_FIRST = re.compile(
    rf"{_CIVIC},?\s+(?i:calle|avenida|avda\.|paseo|calzada|camino|bulevar|carrera|plaza)"
    rf"\s+(?:{_ES_LINK}\s+){{0,4}}[\w'’\-]+"
)
UNIT = re.compile(
    r"\b(?i:apt|appt|app|apartment|appartement|logement|unit|departamento|depto|dpto)\b\.?"
    r"\s*(?:#|(?i:no|n[°º])\.?)?\s*\d{1,5}[A-Za-z]?\b"
)

_MONTHS = (
    r"(?i:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre"
    r"|novembre|d[ée]cembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre"
    r"|octubre|noviembre|diciembre|janv|f[ée]vr|avr|juil|sept|jan|feb|f[ée]v|mar|apr|jun"
    r"|jul|aug|sep|oct|nov|d[ée]c|ene|abr|ago|dic)"
)
_DAY = r"(?P<day>\d{1,2})(?:er|st|nd|rd|th|º)?"
_YEAR4 = r"(?P<year>(?:1[89]|2\d)\d\d)"
FULL_DATES = (
    re.compile(rf"(?<![\d.\-/]){_YEAR4}([\-/.])(?P<month>\d{{1,2}})\2(?P<day>\d{{1,2}})(?!\d)"),
    re.compile(
        r"(?<![\d.\-/])(?P<day>\d{1,2})([\-/.])(?P<month>\d{1,2})\2(?P<year>\d{4}|\d{2})"
        r"(?!\d|[.\-/]\d)"
    ),
    re.compile(rf"(?<!\w){_DAY}\s+(?i:de\s+|of\s+)?{_MONTHS}\b\.?,?\s+(?i:del?\s+)?{_YEAR4}(?!\d)"),
    re.compile(rf"\b{_MONTHS}\b\.?\s+{_DAY}\b,?\s+{_YEAR4}(?!\d)"),
)
# after a birth keyword even a partial date or a year alone gives the birth date away
PARTIAL_DATES = (
    re.compile(rf"{_DAY}\s+(?i:de\s+|of\s+)?{_MONTHS}\b\.?"),
    re.compile(rf"{_MONTHS}\b\.?\s+{_DAY}\b"),
    re.compile(rf"{_MONTHS}\b\.?\s+(?i:de\s+|of\s+)?{_YEAR4}(?!\d)"),
    re.compile(r"\d{1,2}[\-/.]\d{1,2}(?![\d\-/]|\.\d)"),
    re.compile(rf"(?<!\d){_YEAR4}(?!\d)"),
)
BIRTH_KEYWORD = re.compile(
    r"\b(?i:born|d\.?o\.?b|date\s+of\s+birth|birth\s*date|birthday|n[ée]e?s?|ddn"
    r"|date\s+de\s+naissance|naissance|naci[óo]|nacid[oa]s?|fecha\s+de\s+nacimiento"
    r"|nacimiento|f\.\s?(?:de\s+)?nac|cumpleaños)\b(?:\(e\))?\.?"
    r"[\s:.,\-]{0,4}(?:(?i:on|in|le|en|el|the|is|was|est|es|d[ií]a)[\s:,]+){0,3}"
)

_SIMPLE_PATTERNS = (
    ("email", EMAIL),
    ("email", OBFUSCATED_EMAIL),
    ("phone", PHONE_NANP),
    ("client_id", LETTER_FILE_NUMBER),
    ("passport", PASSPORT_SHAPE),
    ("postal_code", POSTAL_CODE_CA),
    ("postal_code", ZIP_PLUS_FOUR),
    ("street_address", CIVIC_FR),
    ("street_address", CIVIC_EN),
    ("street_address", CIVIC_ES),
    ("street_address", CIVIC_GRID),
    ("street_address", CIVIC_STREET_FIRST),
    ("street_address", CIVIC_EN_NUMBER_LAST),
    ("street_address", CIVIC_ES_NUMBER_FIRST),
    ("street_address", UNIT),
)
_KEYWORD_PATTERNS = (
    ("client_id", CLIENT_KEYWORD),
    ("passport", PASSPORT_KEYWORD),
    ("postal_code", POSTAL_KEYWORD),
)


def find_identifiers(
    text: str, *, allow_street_address: bool = False, today: date | None = None
) -> list[Finding]:
    """Return the identifiers in `text`, sorted by start and never overlapping.

    `allow_street_address` is for the place and meeting-point fields, where a public
    place may be named by its address; everything else is still reported there.
    `today` sets the year after which a bare full date counts as an appointment.
    """
    today = today or date.today()
    found = [
        *_simple_findings(text),
        *_phone_international(text),
        *_digit_groups(text),
        *_old_dates(text, today),
        *_birth_dates(text),
    ]
    if allow_street_address:
        found = [finding for finding in found if finding.kind != "street_address"]
    return _without_overlaps(found)


def _simple_findings(text: str) -> Iterator[Finding]:
    for kind, pattern in _SIMPLE_PATTERNS:
        for match in pattern.finditer(text):
            yield Finding(kind, match.start(), match.end())
    for kind, pattern in _KEYWORD_PATTERNS:
        for match in pattern.finditer(text):
            yield Finding(kind, match.start("number"), match.end("number"))


def _phone_international(text: str) -> Iterator[Finding]:
    for match in PHONE_INTERNATIONAL.finditer(text):
        if sum(char.isdigit() for char in match.group()) >= PHONE_MIN_DIGITS:
            yield Finding("phone", match.start(), match.end())


def _digit_groups(text: str) -> Iterator[Finding]:
    for match in DIGIT_GROUPS.finditer(text):
        shown = match.group()
        if YEAR_RANGE.fullmatch(shown):  # "2025-2026" is a span of years
            continue
        digits = "".join(char for char in shown if char.isdigit())
        is_sin = len(digits) == 9 and passes_luhn(digits)
        yield Finding("sin" if is_sin else "client_id", match.start(), match.end())


def passes_luhn(digits: str) -> bool:
    """Return True if `digits` passes the Luhn check used by social insurance numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _old_dates(text: str, today: date) -> Iterator[Finding]:
    # appointments are recent or coming; a full date this old can only be a birth date
    cutoff = today.year - BIRTH_DATE_MIN_AGE_YEARS
    for pattern in FULL_DATES:
        for match in pattern.finditer(text):
            if _plausible_day(match) and _full_year(match["year"], today) < cutoff:
                yield Finding("birth_date", match.start(), match.end())


def _plausible_day(match: re.Match[str]) -> bool:
    day = int(match["day"])
    month = match.groupdict().get("month")
    if month is None or not month.isdigit():
        return 1 <= day <= 31
    # numeric dates may be day-first or month-first; one of the two must be a month
    return 1 <= min(day, int(month)) <= 12 and max(day, int(month)) <= 31


def _full_year(year: str, today: date) -> int:
    if len(year) == 4:
        return int(year)
    # two-digit years up to next year are this century ("15/12/26"), the rest the last
    century = 2000 if 2000 + int(year) <= today.year + 1 else 1900
    return century + int(year)


def _birth_dates(text: str) -> Iterator[Finding]:
    for keyword in BIRTH_KEYWORD.finditer(text):
        for pattern in (*FULL_DATES, *PARTIAL_DATES):
            match = pattern.match(text, keyword.end())
            if match:
                yield Finding("birth_date", match.start(), match.end())
                break


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    # earliest first, then longest, then the kind listed first in KINDS
    rank = {kind: index for index, kind in enumerate(KINDS)}
    ordered = sorted(found, key=lambda f: (f.start, f.start - f.end, rank[f.kind]))
    kept: list[Finding] = []
    for finding in ordered:
        if not kept or finding.start >= kept[-1].end:
            kept.append(finding)
    return kept
