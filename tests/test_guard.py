"""Identifier guard: what free text may hold, in English, French and Spanish."""

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.rules.guard import KINDS, Finding, find_identifiers, passes_luhn

# injected so the birth-date cut-off (year < 2016) does not drift with the calendar
TODAY = date(2026, 6, 15)

REFUSED = [
    # e-mail
    ("écrire à jean.dupont@gmail.com", {"email"}),
    ("write to maria+legal@example.org please", {"email"}),
    ("correo: josé_pérez@correo.mx", {"email"}),
    ("jean at gmail dot com", {"email"}),
    ("jean arobase videotron point ca", {"email"}),
    ("escribir a maria arroba hotmail punto com", {"email"}),
    ("contact jean[at]gmail.com", {"email"}),
    # phone
    ("Call her at 514-555-0199", {"phone"}),
    ("tél. (514) 555 0199", {"phone"}),
    ("+1 514 555 0199", {"phone"}),
    ("cell 514.555.0199", {"phone"}),
    ("son numéro 5145550199", {"phone"}),
    ("call 514 555-0199 poste 12", {"phone"}),
    ("teléfono +52 55 1234 5678", {"phone"}),
    ("+33 1 23 45 67 89", {"phone"}),
    ("UK number +44 (20) 7946 0958", {"phone"}),
    ("+44 12 34 56", {"phone"}),  # eight digits: the shortest international number
    # social insurance number (Luhn-valid)
    ("NAS 046 454 286", {"sin"}),
    ("SIN: 046-454-286", {"sin"}),
    ("numéro d'assurance sociale 046454286", {"sin"}),
    # client and file numbers
    ("SIN 046 454 287 (typo)", {"client_id"}),  # fails Luhn, still an ID shape
    ("UCI 1234-5678", {"client_id"}),
    ("IUC: 12-3456-7890", {"client_id"}),
    ("client 12345678", {"client_id"}),
    ("numéro 0123456789", {"client_id"}),
    ("dossier no 1234567", {"client_id"}),
    ("expediente número 123456", {"client_id"}),
    ("file # 7654321 at IRB", {"client_id"}),
    ("dossier B012345678", {"client_id"}),
    ("ref 123456789012", {"client_id"}),
    # passport
    ("passport AB123456", {"passport"}),
    ("numéro G12345678", {"passport"}),
    ("passeport: XK12345", {"passport"}),
    ("pasaporte núm. 9G7K3LQ2", {"passport"}),
    # birth date, by keyword
    ("born March 12, 1985", {"birth_date"}),
    ("DOB: 1985-03-12", {"birth_date"}),
    ("date of birth 12/03/1985", {"birth_date"}),
    ("born on the 12th of March 1985", {"birth_date"}),
    ("née le 12 mars 1985", {"birth_date"}),
    ("né le 3 mars 2024", {"birth_date"}),  # recent, but the keyword says birth
    ("date de naissance : 12/03", {"birth_date"}),
    ("DDN 1985-03-12", {"birth_date"}),
    ("née en 1990", {"birth_date"}),
    ("nació el 12 de marzo de 1985", {"birth_date"}),
    ("nacida en 1990", {"birth_date"}),
    ("fecha de nacimiento: 3/4/90", {"birth_date"}),
    ("F. nac.: 12/03/1985", {"birth_date"}),
    ("cumpleaños 12 de marzo", {"birth_date"}),
    # birth date, bare and old
    ("1985-03-12", {"birth_date"}),
    ("el 12/03/1979", {"birth_date"}),
    ("12 mars 1985", {"birth_date"}),
    ("March 12th, 1985", {"birth_date"}),
    ("12 de marzo de 1985", {"birth_date"}),
    ("12 setiembre 1985", {"birth_date"}),  # Peru's and Uruguay's spelling
    ("12 de septiembre de 1985", {"birth_date"}),
    ("arrived 03/12/85", {"birth_date"}),
    ("on 2015-03-01", {"birth_date"}),
    ("1985-03-01", {"birth_date"}),  # the first of a month
    ("31/12/1985", {"birth_date"}),  # the last day of December
    ("1985-12-31", {"birth_date"}),
    ("1 mars 1985", {"birth_date"}),
    ("31 mars 1985", {"birth_date"}),
    ("December 1, 1985", {"birth_date"}),
    ("15/12/28", {"birth_date"}),  # two-digit year past next year: 1928
    ("le 01/03/15", {"birth_date"}),  # two-digit year: 2015, more than ten years ago
    ("12/13/1985", {"birth_date"}),  # month first
    # postal codes
    ("H2X 1Y4", {"postal_code"}),
    ("code postal h2x1y4", {"postal_code"}),
    ("Montréal (Québec) H3A 0G4", {"postal_code"}),
    ("ZIP 12345-6789", {"postal_code"}),
    ("C.P. 06600, CDMX", {"postal_code"}),
    ("código postal 28013", {"postal_code"}),
    # street addresses
    ("vit au 1234 rue Saint-Denis", {"street_address"}),
    ("450, boul. René-Lévesque", {"street_address"}),
    ("apt 5, 3456 av. du Parc", {"street_address"}),
    ("12 rue de la Gauchetière", {"street_address"}),
    ("5-3456 rue Saint-Denis", {"street_address"}),
    ("2 place des Arts", {"street_address"}),
    ("lives at 123 Main Street", {"street_address"}),
    ("45 Elm St.", {"street_address"}),
    ("calle Mayor 12", {"street_address"}),
    ("Avenida Juárez 123", {"street_address"}),
    ("vive en Carrera 7 # 45-10", {"street_address"}),
    ("app. 4", {"street_address"}),
    ("apt 12", {"street_address"}),
    ("appartement 3", {"street_address"}),
    ("departamento 12", {"street_address"}),
    ("depto. 5B", {"street_address"}),
    # street addresses written name first, number last, or number before a Spanish street
    ("rue Saint-Denis 1234", {"street_address"}),
    ("vit avenue du Parc, 4500", {"street_address"}),
    ("chemin de la Côte-des-Neiges 3755", {"street_address"}),
    ("boulevard René-Lévesque Ouest 1010", {"street_address"}),
    ("rue saint-denis 1234", {"street_address"}),
    ("1234 rue saint-denis", {"street_address"}),
    ("vive en avenida Insurgentes Sur 1602", {"street_address"}),
    ("calle de Alcalá, n.º 12", {"street_address"}),
    ("calle mayor # 12", {"street_address"}),
    ("calle mayor #12", {"street_address"}),
    ("1234 calle Mayor", {"street_address"}),
    ("12 calle de Alcalá", {"street_address"}),
    ("1234, avenida Juárez", {"street_address"}),
    ("lives on Sherbrooke Street 1234", {"street_address"}),
    ("Main Street, 123", {"street_address"}),
    # several at once
    ("Maria, 514-555-0199, maria@x.ca", {"phone", "email"}),
    ("1234 rue Saint-Denis, Montréal H2X 1Y4", {"street_address", "postal_code"}),
    ("DOB 1985-03-12, passport AB123456", {"birth_date", "passport"}),
]

PASSES = [
    # impossible dates are no birth dates (and no other identifier)
    ("32 mars 1985", set()),
    ("13/13/1985", set()),
    ("32/12/1985", set()),
    ("le 01/03/16", set()),  # two-digit year: 2016, ten years ago, not yet old enough
    # hearing times
    ("Audience à 10:30", set()),
    ("rendez-vous 9h30", set()),
    ("de 14 h 00 à 16 h 30", set()),
    ("hearing at 9:00 a.m.", set()),
    ("a las 10:30", set()),
    # appointment dates this year or next
    ("2026-12-01", set()),
    ("le 15/12/2026 à 14 h", set()),
    ("1er décembre", set()),
    ("le 3 mars", set()),
    ("3 décembre", set()),
    ("martes 1 de diciembre", set()),
    ("Dec 1", set()),
    ("Dec 1, 2026", set()),
    ("12 mars 2026", set()),
    ("on 2016-03-01", set()),  # exactly ten years back is still an appointment
    ("15/12/26", set()),
    ("15/12/27", set()),  # two-digit years up to next year are this century
    ("20.20.1990", set()),  # no month 20: not a date at all
    # rooms
    ("salle 3.12", set()),
    ("room 204", set()),
    ("sala 5", set()),
    ("local 2.301", set()),
    ("bureau 1200", set()),
    # amounts, floors, counts, percentages
    ("$25 for the bus", set()),
    ("25 $", set()),
    ("1 200 $", set()),
    ("12 345 678 $ de dettes", set()),
    ("300 pesos", set()),
    ("1.234.567 pesos", set()),
    ("3e étage", set()),
    ("2 personnes", set()),
    ("need 3 people on the street", set()),
    ("1 place disponible", set()),
    ("2 places", set()),
    ("15 %", set()),
    # case codes
    ("K7M4-QX2P", set()),
    ("k7m4qx2p", set()),
    ("K7M-4QX2-P9R", set()),
    ("k7m4qx2p9r", set()),
    # a street named next to a time, a count, a room or a line is not an address
    ("rendez-vous avenue du Parc 9:30", set()),
    ("rue Saint-Denis 9h30", set()),
    ("avenue du Parc, 2 personnes", set()),
    ("rue Saint-Denis 10 minutes à pied", set()),
    ("rue Sainte-Catherine salle 3", set()),
    ("avenue du Parc bus 80", set()),
    ("métro Berri, sortie rue Sainte-Catherine", set()),
    ("calle Mayor a las 9:30", set()),
    ("Main Street 2 people", set()),
    ("Federal Court, room 30", set()),
    # transit
    ("bus 55", set()),
    ("ligne 2, métro Berri-UQAM", set()),
    ("Line 2, exit Jarry", set()),
    # durations, years, short numbers
    ("2 h", set()),
    ("90 min", set()),
    ("en 2025", set()),
    ("the 2025-2026 school year", set()),
    ("year 2025 2026", set()),
    ("42", set()),
    ("+44 12 34 5", set()),  # seven digits are too few for a phone number
    ("1234567", set()),
    ("H2X", set()),  # a postal area alone does not locate anyone
    # words that look like keywords
    ("Federal Court, 2 Federal Court judges", set()),
    ("born in Bogotá", set()),
    ("passport renewal in 2027", set()),
    ("passeport mexicain", set()),
    ("número de personas: 3", set()),
    ("Meet at noon. Com-line closed", set()),
    ("dossier du 2026-12-01", set()),
    # a whole realistic note
    (
        "Audience le mardi 1er décembre à 9h30, salle 3.12, Palais de justice, 3e étage. "
        "Besoin de 2 personnes, trajet bus 55 puis ligne 2 (30 min), billet 3,75 $.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "kinds"), REFUSED + PASSES)
def test_guard_examples(text, kinds):
    found = find_identifiers(text, today=TODAY)
    assert {finding.kind for finding in found} == kinds


def test_table_is_broad():
    assert len(REFUSED) + len(PASSES) >= 90
    assert {kind for _, kinds in REFUSED for kind in kinds} == set(KINDS)


@pytest.mark.parametrize(
    ("text", "kind", "shown"),
    [
        ("Call her at 514-555-0199 today", "phone", "514-555-0199"),
        ("écrire à jean@exemple.ca.", "email", "jean@exemple.ca"),
        ("née le 12 mars 1985 à Bogotá", "birth_date", "12 mars 1985"),
        ("dossier no 1234567", "client_id", "1234567"),
        ("NAS 046 454 286.", "sin", "046 454 286"),
        ("NAS 100 000 058", "sin", "100 000 058"),
        ("vit au 1234 rue Saint-Denis, 3e", "street_address", "1234 rue Saint-Denis"),
        ("H3A 0G4 Montréal", "postal_code", "H3A 0G4"),
    ],
)
def test_offsets_point_at_the_identifier(text, kind, shown):
    [finding] = find_identifiers(text, today=TODAY)
    assert finding.kind == kind
    assert text[finding.start : finding.end] == shown


def test_findings_are_ordered_and_separate():
    text = "maria@x.ca, 514-555-0199, NAS 046 454 286, H2X 1Y4"
    found = find_identifiers(text, today=TODAY)
    assert [finding.kind for finding in found] == ["email", "phone", "sin", "postal_code"]
    assert found == sorted(found, key=lambda finding: finding.start)
    assert all(a.end <= b.start for a, b in pairwise(found))


def test_one_finding_per_identifier_even_when_several_rules_match():
    # NANP, international and digit-group rules all see this number
    assert find_identifiers("+15145550199", today=TODAY) == [Finding("phone", 0, 12)]


def test_place_fields_may_name_a_street_address():
    text = "1010 rue Sainte-Catherine, apt 5"
    assert {f.kind for f in find_identifiers(text, today=TODAY)} == {"street_address"}
    assert find_identifiers(text, allow_street_address=True, today=TODAY) == []


def test_place_fields_still_refuse_everything_else():
    text = "1010 rue Sainte-Catherine H3B 1B4, ask for 514-555-0199"
    found = find_identifiers(text, allow_street_address=True, today=TODAY)
    assert [finding.kind for finding in found] == ["postal_code", "phone"]


def test_birth_date_cutoff_follows_today():
    assert find_identifiers("2012-05-01", today=date(2026, 1, 1)) == [Finding("birth_date", 0, 10)]
    assert find_identifiers("2012-05-01", today=date(2020, 1, 1)) == []


def test_today_defaults_to_the_real_date():
    this_year = date.today().year
    assert find_identifiers(f"{this_year}-12-01") == []
    assert [f.kind for f in find_identifiers(f"{this_year - 40}-12-01")] == ["birth_date"]


@pytest.mark.parametrize("text", ["", " ", "\n\n", "—"])
def test_empty_text(text):
    assert find_identifiers(text, today=TODAY) == []


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("046454286", True),
        ("130692544", True),
        ("046454287", False),
        ("123456789", False),
        ("100000058", True),  # the 5 is doubled: 10 counts as 1 + 0
        ("100000059", False),
    ],
)
def test_luhn(digits, valid):
    assert passes_luhn(digits) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1" * 100_000, [Finding("client_id", 0, 100_000)]),
        ("a@" * 50_000, []),
        ("a" * 200_000, []),
        ("1-" * 50_000, []),
        ("1 " * 100_000, []),
        ("a." * 100_000, []),
        ("12/" * 60_000, []),
        ("a at " * 40_000, []),
        ("né le " * 30_000, []),
        ("calle A " * 30_000, []),
        ("1 Aa Bb Cc Dd " * 15_000, []),
        ("dossier " + "1 " * 100_000, []),
    ],
    ids=lambda value: repr(value[:12]) if isinstance(value, str) else None,
)
def test_adversarial_input_returns(text, expected):
    # quadratic or exponential backtracking would hang here instead of returning
    assert find_identifiers(text, today=TODAY) == expected


def test_long_realistic_text():
    note = "Audience le 1er décembre à 9h30, salle 3.12, 2 personnes, bus 55. Tél 514-555-0199. "
    text = note * (200_000 // len(note))
    found = find_identifiers(text, today=TODAY)
    assert len(found) == text.count("514-555-0199")
    assert {finding.kind for finding in found} == {"phone"}


@settings(max_examples=300)
@given(st.text())
def test_any_text_gives_ordered_findings_within_bounds(text):
    _assert_well_formed(text, find_identifiers(text, today=TODAY))


@settings(max_examples=300)
@given(st.text(alphabet="0123456789 -./:@+()aAhHéNnrue#", max_size=80))
def test_identifier_like_text_gives_ordered_findings_within_bounds(text):
    for allow in (False, True):
        found = find_identifiers(text, allow_street_address=allow, today=TODAY)
        _assert_well_formed(text, found)
        assert not (allow and any(f.kind == "street_address" for f in found))


@given(
    st.sampled_from(
        [
            ("514-555-0199", "phone"),
            ("jean@exemple.ca", "email"),
            ("046 454 286", "sin"),
            ("H2X 1Y4", "postal_code"),
            ("1985-03-12", "birth_date"),
        ]
    ),
    st.text(alphabet="xyz ,;", max_size=30),
    st.text(alphabet="xyz ,;", max_size=30),
)
def test_identifier_is_found_whatever_surrounds_it(sample, before, after):
    shown, kind = sample
    text = f"{before} {shown} {after}"
    start = len(before) + 1
    found = find_identifiers(text, today=TODAY)
    assert Finding(kind, start, start + len(shown)) in found


def _assert_well_formed(text, found):
    assert isinstance(found, list)
    for finding in found:
        assert finding.kind in KINDS
        assert 0 <= finding.start < finding.end <= len(text)
    assert all(a.end <= b.start for a, b in pairwise(found))


# --- e-mail addresses at their limits, written out or disguised ------------------------
# The whole address is found (its span, not only that there is one): a guard that stops
# one character short would leave the rest of an address in the text.

LONGEST_LOCAL = "x" * 64  # the most an address may have before "@"
LONGEST_LABEL = "d" * 63  # the most one part of a domain may have


@pytest.mark.parametrize(
    "address",
    [
        "j@example.com",
        f"{LONGEST_LOCAL}@example.com",
        f"jean@{LONGEST_LABEL}.com",
        f"jean@example.{LONGEST_LABEL}",
        f"jean@{LONGEST_LABEL}.{LONGEST_LABEL}.ca",
        "jean@a.b.c.d.e.f.g.h.ca",  # eight parts after the first
    ],
)
def test_an_email_address_at_its_limits_is_found_whole(address):
    text = f"écrire à {address} merci"
    [finding] = find_identifiers(text, today=TODAY)
    assert finding.kind == "email" and text[finding.start : finding.end] == address


@pytest.mark.parametrize("tld", ["com", "ca", "org", "net", "fr", "es", "mx", "co", "info", "edu"])
def test_a_written_out_address_is_found_with_each_known_ending(tld):
    for text in (f"jean at gmail dot {tld}", f"maria arroba hotmail punto {tld}"):
        assert {f.kind for f in find_identifiers(text, today=TODAY)} == {"email"}, text


@pytest.mark.parametrize(
    "address",
    [
        "j at example dot com",
        f"{LONGEST_LOCAL} at example dot com",
        f"jean at {LONGEST_LABEL} dot com",
        "jean   at   gmail   dot   com",  # up to three spaces around each word
        "jean arobase videotron point qc.ca",
        "jean at gouv dot gouv.qc.ca",
        "jean[at]gmail[dot]com",
        "jean [at] gmail [dot] com",
        "jean [ at ] gmail.com",
        "jean(arobase)videotron(point)ca",
        "jean[arobase]videotron.ca",
        "maria(arroba)hotmail(punto)com",
        "maria (arroba) hotmail (punto) com",
        "jean[@]gmail.com",
        "jean(@)gmail[point]ca",
    ],
)
def test_a_disguised_address_is_found_whole(address):
    text = f"écrire à {address} merci"
    [finding] = find_identifiers(text, today=TODAY)
    assert finding.kind == "email" and text[finding.start : finding.end] == address
