"""Identifier guard, pattern by pattern: every word, ending and length limit it knows.

Each table names what a volunteer might really type. A text to refuse must be found whole
(its span, not only its kind): a guard that stops one character short, or forgets one
street word, month or keyword, would let the rest of an identifier into the store. The
look-alikes must pass, so that a pattern that grew wider would be caught too.
All examples are made up: 555 phone numbers, sample ID numbers and common street names.
"""

from datetime import date

import pytest

from casework.rules.guard import find_identifiers

# injected so the birth-date cut-off (year < 2016) does not drift with the calendar
TODAY = date(2026, 6, 15)


def shown(text):
    """What the guard reports in `text`: (kind, the characters it covers) for each finding."""
    return [(f.kind, text[f.start : f.end]) for f in find_identifiers(text, today=TODAY)]


def refused_whole(cases):
    """Parametrize (text, kind, identifier) from (text, kind) or (text, kind, identifier)."""
    rows = [(case[0], case[1], case[2] if len(case) > 2 else case[0]) for case in cases]
    return pytest.mark.parametrize(("text", "kind", "identifier"), rows, ids=[r[0] for r in rows])


def assert_found_whole(text, kind, identifier):
    assert shown(text) == [(kind, identifier)], text


# --- e-mail addresses (their limits are in tests/test_guard.py) -----------------------


@refused_whole(
    [
        # a domain of a single letter, written out
        ("écrire à maria at x dot com merci", "email", "maria at x dot com"),
        ("escribir a maria arroba x punto mx", "email", "maria arroba x punto mx"),
    ]
)
def test_a_written_out_address_with_a_one_letter_domain_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- phone numbers from abroad --------------------------------------------------------


@refused_whole(
    [
        ("appeler sa sœur au +7 495 555 01 99", "phone", "+7 495 555 01 99"),  # one-digit code
        ("su mamá: +593 (2) 255 0199", "phone", "+593 (2) 255 0199"),  # three-digit code
        ("UK office +44 (1632) 960 123", "phone", "+44 (1632) 960 123"),  # four-digit area
        ("Büro +49 (6151) 55501", "phone", "+49 (6151) 55501"),  # five digits after the area
        # fourteen digits after the country code: the longest the guard reads
        ("numéro +999 5550 1995 5501 99 (satellite)", "phone", "+999 5550 1995 5501 99"),
    ]
)
def test_an_international_number_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- ID numbers: SIN, IRCC client numbers, file numbers -------------------------------


@refused_whole(
    [
        ("réf. 012 345 6789", "client_id", "012 345 6789"),  # 3-3-4, not a phone number
        ("IRCC 8765 4321", "client_id", "8765 4321"),  # 4-4 without any keyword
        ("son UCI 8765-4321 est au dossier", "client_id", "8765-4321"),
        ("IUC 12-3456-7890 à confirmer", "client_id", "12-3456-7890"),
        ("12-3456-7890", "client_id"),  # 2-4-4 without any keyword
        ("réf 87654321", "client_id", "87654321"),  # eight digits in a row
        ("B012345678", "client_id"),  # a letter and nine digits
        ("lettre TB1234567890 reçue", "client_id", "TB1234567890"),  # two letters, ten digits
        ("référence MTL123456789", "client_id", "MTL123456789"),  # three letters
    ]
)
def test_an_id_number_shape_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# numbers too short for a shape of their own: only the keyword before them gives them away
@refused_whole(
    [
        ("UCI 1234567", "client_id", "1234567"),
        ("IUC 1234567", "client_id", "1234567"),
        ("client 654321", "client_id", "654321"),
        ("dossier 7654321", "client_id", "7654321"),
        ("file 7654321", "client_id", "7654321"),
        ("expediente 123456", "client_id", "123456"),
        ("número 1234567", "client_id", "1234567"),
        ("numero 1234567", "client_id", "1234567"),
        ("numéro 123456", "client_id", "123456"),
        ("client number 654321", "client_id", "654321"),
        ("case number 654321", "client_id", "654321"),
        ("ID 1234567", "client_id", "1234567"),
        ("dossier 12-3456", "client_id", "12-3456"),
        ("dossier 1234-567", "client_id", "1234-567"),
        ("dossier 123-456", "client_id", "123-456"),
        ("dossier 123-4567", "client_id", "123-4567"),
        ("dossier 12-345-678", "client_id", "12-345-678"),
        # twenty characters between the keyword and the number: the farthest still read
        ("dossier (voir la lettre) : 1234567", "client_id", "1234567"),
    ]
)
def test_a_number_after_a_client_keyword_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


@refused_whole(
    [
        ("AB123456", "passport"),  # two letters, six digits
        ("passport no XK12345", "passport", "XK12345"),
        ("passport no. XK12345", "passport", "XK12345"),
        ("passeport n° XK12345", "passport", "XK12345"),
        ("passeport nº XK12345", "passport", "XK12345"),
        ("passport number XK12345", "passport", "XK12345"),
        ("passeport numéro XK12345", "passport", "XK12345"),
        ("passeport numero XK12345", "passport", "XK12345"),
        ("pasaporte número XK12345", "passport", "XK12345"),
        ("passport #XK12345", "passport", "XK12345"),
        ("passport XYZ12345", "passport", "XYZ12345"),  # three letters before the digits
        ("pasaporte 123456", "passport", "123456"),  # six characters, the shortest
        ("passport 9G7K3LQ2XW45", "passport", "9G7K3LQ2XW45"),  # twelve, the longest
    ]
)
def test_a_passport_number_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- postal codes ---------------------------------------------------------------------


@refused_whole(
    [
        ("Buffalo, NY 14201-5555", "postal_code", "14201-5555"),
        ("CP 06600", "postal_code", "06600"),
        ("C.P.06600, CDMX", "postal_code", "06600"),
        ("code postal 75011", "postal_code", "75011"),
        ("code postal: 75011", "postal_code", "75011"),
        ("postal code 28013", "postal_code", "28013"),
        ("zip 10001", "postal_code", "10001"),
        ("zip code 10001", "postal_code", "10001"),
        ("code postal 1000 Bruxelles", "postal_code", "1000"),  # four digits
        ("código postal 110111, Bogotá", "postal_code", "110111"),  # six digits
    ]
)
def test_a_postal_code_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- street addresses, number first (Québec French) -----------------------------------


@refused_whole(
    [
        ("vit au 12500 rue Sherbrooke Est", "street_address", "12500 rue Sherbrooke"),
        ("3-5 rue Saint-Paul", "street_address"),  # a building numbered 3 to 5
        ("10-12500 rue Sherbrooke Est", "street_address", "10-12500 rue Sherbrooke"),
        ("1234 boulevard Saint-Laurent", "street_address"),
        ("450 boul René-Lévesque", "street_address"),
        ("450 boul. René-Lévesque", "street_address"),
        ("1234 bd Saint-Laurent", "street_address"),
        ("1234 bd. Saint-Laurent", "street_address"),
        ("1234 blvd Saint-Laurent", "street_address"),
        ("1234 blvd. Saint-Laurent", "street_address"),
        ("4500 avenue du Parc", "street_address"),
        ("4500 av. du Parc", "street_address"),
        ("4500 ave du Parc", "street_address"),
        ("4500 ave. du Parc", "street_address"),
        ("3755 chemin Queen-Mary", "street_address"),
        ("3755 ch. Queen-Mary", "street_address"),
        ("123 montée Saint-Michel", "street_address"),
        ("45 rang Saint-Joseph", "street_address"),
        ("975 route Marie-Victorin", "street_address"),
        ("12 allée des Ormes", "street_address"),
        ("4 impasse des Lilas", "street_address"),
        ("1234 promenade Fleury", "street_address"),
        ("12 rue du Fort", "street_address"),
        ("12 rue des Érables", "street_address"),
        ("12 rue de la Gauchetière", "street_address"),
        ("2345 rue d'Iberville", "street_address"),
        ("45 rue l'Espérance", "street_address"),
        ("1 place Ville-Marie", "street_address"),
        ("1 pl. Ville-Marie", "street_address"),
        ("1 place du Canada", "street_address"),
        ("5 côte du Beaver Hall", "street_address", "5 côte du Beaver"),
        ("12 croissant Sainte-Anne", "street_address"),
        ("8 terrasse Mercure", "street_address"),
        ("1 carré Saint-Louis", "street_address"),
        ("1 square Phillips", "street_address"),
        ("habite au 3 place B", "street_address", "3 place B"),  # a street named by a letter
    ]
)
def test_a_french_street_address_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- street addresses, number first (English) -----------------------------------------


@refused_whole(
    [
        ("lives at 45 N Main Street", "street_address", "45 N Main Street"),
        ("120 Old Mill Run Road", "street_address"),  # three name words
        ("45 Elm St", "street_address"),
        ("12 Maple Avenue", "street_address"),
        ("12 Maple Ave", "street_address"),
        ("12 Maple Ave.", "street_address"),
        ("80 Queen Road", "street_address"),
        ("80 Queen Rd.", "street_address"),
        ("5000 Décarie Boulevard", "street_address"),
        ("5000 Décarie Blvd", "street_address"),
        ("100 Lakeshore Drive", "street_address"),
        ("100 Lakeshore Dr.", "street_address"),
        ("12 Shady Lane", "street_address"),
        ("12 Shady Ln", "street_address"),
        ("7 Abbey Way", "street_address"),
        ("34 Forest Crescent", "street_address"),
        ("34 Forest Cres.", "street_address"),
        ("9 Victoria Terrace", "street_address"),
        ("16 Redpath Place", "street_address"),
        ("16 Redpath Pl.", "street_address"),
    ]
)
def test_an_english_street_address_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- street addresses, Spanish and Colombian ------------------------------------------


@refused_whole(
    [
        ("Calle de la Virgen de los Peligros 12", "street_address"),
        ("Plaza de las y los Trabajadores 3", "street_address"),  # four link words
        ("C/ Mayor 12", "street_address"),
        ("C/ Mayor,12", "street_address"),
        ("Paseo de la Virgen del Puerto 12", "street_address"),
        ("Calzada de la Virgen de Guadalupe 123", "street_address"),
        ("Callejón del Beso 12", "street_address"),
        ("Privada Juárez #12", "street_address"),
        ("Privada Los Pinos 10250", "street_address"),  # five digits
        ("Avda Juárez 123", "street_address"),
        ("Camino de los Reyes de la Vega 4", "street_address"),
        ("Bulevar de los Héroes de la Patria 2", "street_address"),
        ("Plaza Mayor 1", "street_address"),
        ("Plaza Mayor no 1", "street_address"),
        ("Plaza Mayor no. 1", "street_address"),
        ("Plaza Mayor núm. 3", "street_address"),
        ("Plaza Mayor num. 3", "street_address"),
        ("Plaza Mayor número 3", "street_address"),
        ("Plaza Mayor n° 3", "street_address"),
        ("Plaza de Pi y Margall 3", "street_address"),
        ("Plaza Juan de la Cosa 2", "street_address"),  # three words after the name
        # Colombian grid addresses: street, number, then the cross street and the metres
        ("Calle 100 # 15-20", "street_address"),
        ("Avenida 19 # 120-71", "street_address"),
        ("Avda. 19 # 120-71", "street_address"),
        ("Av. 19 # 120-71", "street_address"),
        ("Paseo 5 # 10-20", "street_address"),
        ("Calzada 5 # 10-20", "street_address"),
        ("Camino 5 # 10-20", "street_address"),
        ("Bulevar 5 # 10-20", "street_address"),
        ("Cra 7 # 45-10", "street_address"),
        ("Cra. 7 # 45-10", "street_address"),
        ("Cra.7 # 45-10", "street_address"),
        ("Diagonal 40A # 15-20", "street_address"),
        ("Transversal 5 # 10-20", "street_address"),
        ("Calle 26 # 5-30", "street_address"),
        ("Calle 10 # 5-8", "street_address"),
        ("Calle 72 # 10-103", "street_address"),
        ("Calle 45#12-30", "street_address"),
        ("Carrera 7 #45-10", "street_address"),
        ("Calle 26 No. 5-30", "street_address"),
        ("Carrera 7 No 45-10", "street_address"),
        ("Carrera 7 N° 45-10", "street_address"),
    ]
)
def test_a_spanish_street_address_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- street addresses, name first and number last -------------------------------------


@refused_whole(
    [
        ("rue Principale 5", "street_address"),  # a one-digit civic number
        ("boulevard Gouin Ouest 12500", "street_address"),  # a five-digit one
        ("boul. Saint-Laurent 5000", "street_address"),
        ("bd. Saint-Laurent 5000", "street_address"),
        ("avenue du Parc 4500", "street_address"),
        ("av. du Parc 4500", "street_address"),
        ("chemin Queen-Mary 3755", "street_address"),
        ("ch. Queen-Mary 3755", "street_address"),
        ("montée Saint-Michel 123", "street_address"),
        ("route Marie-Victorin 975", "street_address"),
        ("allée des Ormes 12", "street_address"),
        ("impasse des Lilas 4", "street_address"),
        ("promenade Fleury 1234", "street_address"),
        ("boulevard de la Côte-Vertu Ouest 1234", "street_address"),  # four words
        # typed in lower case, as in a hurry
        ("calle mayor 12", "street_address"),
        ("avenida juárez 123", "street_address"),
        ("avda. de la constitución 12", "street_address"),
        ("paseo de la reforma 222", "street_address"),
        ("calzada de tlalpan 1234", "street_address"),
        ("camino real 12", "street_address"),
        ("bulevar kukulcán 450", "street_address"),
        ("calle mayor, núm. 12", "street_address"),
        ("calle mayor, número 12", "street_address"),
        ("calle mayor, nº 12", "street_address"),
        ("calle mayor, n° 12", "street_address"),
        ("calle mayor #12", "street_address"),
        ("calle mayor, n°12", "street_address"),
        ("calle mayor no.12", "street_address"),
        ("Park Avenue 4500", "street_address"),
        ("Queen Mary Road 5000", "street_address"),
        ("Décarie Boulevard 5000", "street_address"),
        ("Lakeshore Drive 100", "street_address"),
        ("Shady Lane 12", "street_address"),
        ("Côte Saint Luc Road 5500", "street_address"),  # three name words
        # a letter after the number is part of it; a time or a floor after it changes nothing
        ("rue Saint-Denis 1234A", "street_address"),
        ("Calle Mayor 12B", "street_address"),
        ("Calle Mayor 12 a las 3", "street_address", "Calle Mayor 12"),
        ("rue Saint-Denis 1234 à 9h", "street_address", "rue Saint-Denis 1234"),
        ("rue Saint-Denis 1234, 2e étage", "street_address", "rue Saint-Denis 1234"),
        ("Calle Mayor 12, 3er piso", "street_address", "Calle Mayor 12"),
        ("Main Street 120 at 9 am", "street_address", "Main Street 120"),
        ("rue Principale 5 Hudson", "street_address", "rue Principale 5"),  # not "5 h"
        # a street whose last word only ends like "a", "at", "la", "las" or "vers"
        ("calle ávila 12", "street_address"),
        ("rue Moffat 12", "street_address"),
        ("calle sevilla 12", "street_address"),
        ("calle salas 12", "street_address"),
        ("rue Anvers 12", "street_address"),
    ]
)
def test_a_street_named_before_its_number_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- street addresses, number before a Spanish street ---------------------------------


@refused_whole(
    [
        ("12 calle del Carmen", "street_address"),
        ("12 calle de la Paz", "street_address"),
        ("12 calle de las Huertas", "street_address"),
        ("12 calle de los Reyes", "street_address"),
        ("3 plaza de las y los Trabajadores", "street_address"),  # four link words
        ("1234 avenida El Dorado", "street_address"),
        ("12 avda. de la Constitución", "street_address"),
        ("45 paseo de la Reforma", "street_address"),
        ("3 calzada de Tlalpan", "street_address"),
        ("12 camino Real", "street_address"),
        ("450 bulevar Kukulcán", "street_address"),
        ("12 carrera Séptima", "street_address"),
        ("15 plaza Mayor", "street_address"),
    ]
)
def test_a_number_before_a_spanish_street_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# --- apartments -----------------------------------------------------------------------


@refused_whole(
    [
        ("appt 5", "street_address"),
        ("app.4", "street_address"),
        ("apartment 12", "street_address"),
        ("logement 4", "street_address"),
        ("unit 7", "street_address"),
        ("dpto 3", "street_address"),
        ("depto 3", "street_address"),
        ("apt 10250", "street_address"),  # five digits
        ("appartement no 5", "street_address"),
        ("appartement no. 5", "street_address"),
        ("logement n° 4", "street_address"),
        ("logement nº 4", "street_address"),
        ("apt #12", "street_address"),
    ]
)
def test_an_apartment_number_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# a street next to a room, a line, an exit or a time is a meeting point, not an address
@pytest.mark.parametrize(
    "text",
    [
        "rue Sainte-Catherine room 204",
        "calle Mayor sala 5",
        "avenue du Parc bus 80",
        "calle Mayor autobús 12",
        "arrêt rue Jean-Talon ligne 93",
        "rue Jean-Talon line 93",
        "calle Mayor línea 3",
        "calle Mayor linea 3",
        "calle Mayor local 4",
        "rue Saint-Denis bureau 200",
        "boulevard René-Lévesque office 300",
        "rue Notre-Dame porte 4",
        "rue Notre-Dame door 4",
        "boulevard Crémazie gate 2",
        "avenue du Parc étage 3",
        "rue University floor 5",
        "calle Mayor piso 2",
        "rue de la Commune quai 5",
        "rue Berri métro 1",
        "rue Berri metro 1",
        "avenue du Parc sortie 3",
        "rue Berri exit 3",
        "calle Mayor salida 2",
        "rue Saint-Denis 10h:30",
        "rue Saint-Denis 10h.30",
        "rue Saint-Denis 5 min à pied",
        "avenue du Parc, 2 personnes",
        "avenue du Parc, 1 personne",
        "Main Street 2 people",
        "calle mayor 3 personas",  # lower case: the street is named before a count
        "calle mayor 1 persona",
        "rue Saint-Denis 2 fois",
        "Main Street 3 times a week",
        "calle mayor 2 veces",
        "vit rue Saint-Denis depuis 20 ans",
        "Main Street 20 years ago",
        "vive en calle Mayor desde hace 20 años",
        "rue Saint-Denis 10 minutes à pied",
        "calle Mayor a 10 minutos",
        "rue Saint-Denis 2 heures",
        "Main Street 2 hours",
        "calle mayor 2 horas",
        # capitalised, as the Spanish street pattern reads it, and times written short
        "Calle Mayor 2 horas",
        "Calle Mayor, 10 minutos",
        "rue Saint-Denis 9h",
        "boulevard Saint-Laurent 14h",
        "rue Saint-Denis 14H",
        "Main Street 9am",
        "Calle Mayor 2pm",
        "Main Street 9 a.m.",
        "Main Street 3 p.m.",
        "Main Street 2 hrs",
        "Main Street 1 hr",
        # a floor after the street
        "rue Ontario 3e étage",
        "rue Ontario 3 étage",
        "Calle Mayor 2º piso",
        "Main Street 4th floor",
        "rue Ontario 1er étage",
        "rue Ontario 2ème étage",
        "rue Ontario 2è étage",
        "Main Street 1st floor",
        "Main Street 2nd floor",
        "Main Street 3rd floor",
        "Calle Mayor 2° piso",
        # a time after "à", "vers", "at", "a las", "a la"
        "rue Saint-Denis à 9",
        "rue Saint-Denis vers 9",
        "Main Street at 9",
        "calle Mayor a las 2",
        "calle Mayor a la 1",
        "rue Saint-Denis, à 9",
        "rue Saint-Denis at 9",
        "calle Mayor a 2 cuadras",
        "RUE SAINT-DENIS À 9",
    ],
)
def test_a_street_next_to_a_room_a_line_or_a_duration_passes(text):
    assert shown(text) == []


# --- dates of birth -------------------------------------------------------------------

MONTHS = [
    # English
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
    # Québec French
    "janvier", "février", "fevrier", "mars", "avril", "mai", "juin", "juillet", "août", "aout",
    "septembre", "octobre", "novembre", "décembre", "decembre",
    "janv", "févr", "fevr", "fév", "avr", "juil", "déc",
    # Spanish
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "octubre", "noviembre", "diciembre",
    "ene", "abr", "ago", "dic",
]  # fmt: skip


@pytest.mark.parametrize("month", MONTHS)
def test_an_old_date_is_found_whole_with_each_month(month):
    for date_text in (f"12 {month} 1985", f"{month} 12, 1985"):
        assert_found_whole(f"arrivée le {date_text}, selon elle", "birth_date", date_text)


@refused_whole(
    [
        ("March 1st, 1985", "birth_date"),
        ("March 2nd, 1985", "birth_date"),
        ("March 3rd, 1985", "birth_date"),
        ("March 12th, 1985", "birth_date"),
        ("1er mars 1985", "birth_date"),
        ("1º de marzo de 1985", "birth_date"),
        ("12th of March 1985", "birth_date"),
        ("March 12 1985", "birth_date"),
        ("12 de marzo del 1985", "birth_date"),
        ("1985-3-12", "birth_date"),
        ("1985-12-1", "birth_date"),
        ("3/4/1985", "birth_date"),
        ("12/3/1985", "birth_date"),
    ]
)
def test_an_old_date_is_found_whole_however_written(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


# after a birth keyword, even a partial date gives the birth date away
@refused_whole(
    [
        ("DOB 12/03", "birth_date", "12/03"),
        ("D.O.B. 12/03", "birth_date", "12/03"),
        ("date of birth: 12/03", "birth_date", "12/03"),
        ("birthdate 12/03", "birth_date", "12/03"),
        ("birth date 12/03", "birth_date", "12/03"),
        ("birthday March 12", "birth_date", "March 12"),
        ("born March 12", "birth_date", "March 12"),
        ("born in March 1985", "birth_date", "March 1985"),
        ("born in March of 1985", "birth_date", "March of 1985"),
        ("born on the 12th of March", "birth_date", "12th of March"),
        ("né le 3 mars", "birth_date", "3 mars"),
        ("née le 12 mars", "birth_date", "12 mars"),
        ("nés le 12 mars", "birth_date", "12 mars"),
        ("né(e) le 12 mars", "birth_date", "12 mars"),
        ("Né(e)12/03", "birth_date", "12/03"),  # a form label pasted without its space
        ("née en mars 1990", "birth_date", "mars 1990"),
        ("DDN 12/03", "birth_date", "12/03"),
        ("DDN :  12/03", "birth_date", "12/03"),  # two spaces after the colon
        ("Naissance : 3/12", "birth_date", "3/12"),
        ("date de naissance : 12/3", "birth_date", "12/3"),
        ("sa date de naissance est le 12 mars", "birth_date", "12 mars"),
        ("nació el 12 de marzo", "birth_date", "12 de marzo"),
        ("nacio el 12 de marzo", "birth_date", "12 de marzo"),
        ("nacida el 3 de marzo", "birth_date", "3 de marzo"),
        ("nacidos el 3 de marzo", "birth_date", "3 de marzo"),
        ("nació el día 12 de marzo", "birth_date", "12 de marzo"),
        ("nació el dia 12 de marzo", "birth_date", "12 de marzo"),
        ("su fecha de nacimiento es el 12 de marzo", "birth_date", "12 de marzo"),
        ("nacimiento: 3 de marzo", "birth_date", "3 de marzo"),
        ("F. nac.: 12/03", "birth_date", "12/03"),
        ("F.nac. 12/03", "birth_date", "12/03"),
        ("F. de nac. 12/03", "birth_date", "12/03"),
        ("cumpleaños 12 de marzo", "birth_date", "12 de marzo"),
        ("her birthday is March 12", "birth_date", "March 12"),
        ("her birthday was on March 12", "birth_date", "March 12"),
        ("her birthday is on the 12th of March", "birth_date", "12th of March"),
    ]
)
def test_a_date_after_a_birth_keyword_is_found_whole(text, kind, identifier):
    assert_found_whole(text, kind, identifier)


@pytest.mark.parametrize(
    "text",
    [
        "imprimante 10.11.12.13",  # an address on the office network, not 10.11.2012
        "section Naissance 2.3.1 du formulaire",  # a form's section number
        "le 3 mars",
        "March 12",
        "12/03",
    ],
)
def test_a_date_look_alike_passes(text):
    assert shown(text) == []
