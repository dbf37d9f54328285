"""Labels in the reader's language: areas, language names, durations."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from casework.web import labels


@pytest.mark.parametrize(
    ("place", "shown"),
    [
        ("Banque alimentaire du quartier", "Banque alimentaire du quartier"),
        ("Banque alimentaire de quartier de Villeray", "Banque alimentaire de quartier"),
        ("Centre de détention de Laval, porte 2", "Centre de détention de Laval"),
        ("Palais de justice de Montréal", "Palais de justice de Montréal"),
        ("Hôpital général, urgence", "Hôpital général"),
        ("1 rue Notre-Dame Est", "rue Notre-Dame Est"),
        ("Maison de la famille de l' Est", "Maison de la famille"),
        ("", "Place given to the people who go"),
    ],
)
def test_the_area_is_never_cut_mid_name_nor_shows_a_number(app, place, shown):
    with app.test_request_context(), force_locale("en"):
        assert labels.area(place) == shown


@pytest.mark.parametrize(
    ("reader", "code", "name"),
    [
        ("fr", "fcs", "Langue des signes québécoise (LSQ)"),
        ("es", "fcs", "Lengua de señas de Quebec (LSQ)"),
        ("en", "ase", "American Sign Language (ASL)"),
        ("fr", "ase", "Langue des signes américaine (ASL)"),
        ("es", "ase", "Lengua de señas americana (ASL)"),
        ("fr", "es", "Espagnol"),
    ],
)
def test_every_language_is_named_in_the_readers_language(app, reader, code, name):
    with app.test_request_context(), force_locale(reader):
        assert labels.language_label(code) == name


@pytest.mark.parametrize(
    ("reader", "seconds", "shown"),
    [("fr", 0.0123, "0,01\u00a0s"), ("en", 0.0123, "0.01\u00a0s"), ("es", 12.5, "12,50\u00a0s")],
)
def test_durations_use_the_readers_decimal_sign(app, reader, seconds, shown):
    with app.test_request_context(), force_locale(reader):
        assert labels.seconds(seconds) == shown
