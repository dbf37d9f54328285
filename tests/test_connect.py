"""Connect a phone, and the operator's warnings on the coordinators' board."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from helpers.instance import TEAM_NOW

import casework
from casework.store import backups

DAY = 86400
FINGERPRINT = ":".join(f"{n:02X}" for n in range(32))
SERVED = {"urls": ["https://192.0.2.2:8443"], "fingerprint": FINGERPRINT, "expires": None}


@pytest.fixture
def served(app):
    app.config["CASEWORK_SERVED"] = dict(SERVED, expires=TEAM_NOW + 200 * DAY, own=False)
    return app.config["CASEWORK_SERVED"]


def test_the_page_shows_the_served_address_its_qr_code_and_the_fingerprint_in_groups(team, served):
    page = team.coord.get("/connect/")
    assert page.status_code == 200
    text = page.text
    assert "https://192.0.2.2:8443" in text  # not localhost: a phone cannot open that
    assert "<code>0001</code> <code>0203</code> <code>0405</code> <code>0607</code>" in text
    assert text.count("<code>") == 16
    assert 'src="/connect/qr.svg"' in text
    assert "Android" in text and "iPhone" in text and "<script" not in text


def test_the_qr_code_is_drawn_here_for_that_address(team, served):
    image = team.coord.get("/connect/qr.svg")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    expected = io.BytesIO()
    segno.make(SERVED["urls"][0], error="m").save(
        expected, kind="svg", scale=8, border=4, light="#fff", xmldecl=False, svgns=True
    )
    assert image.data == expected.getvalue()
    assert b"<script" not in image.data and b"http://www.w3.org/2000/svg" in image.data


def test_public_url_wins_and_a_page_without_tls_says_where_the_fingerprint_is(team, app):
    app.config["CASEWORK"]["public_url"] = "https://casework.example.org"
    text = team.coord.get("/connect/").text
    assert "https://casework.example.org" in text and "casework tls" in text


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "Connecter un téléphone"), ("es", "Conectar un teléfono"), ("en", "Connect a phone")],
)
def test_the_page_speaks_the_readers_language(team, served, language, words):
    text = team.coord.get("/connect/", headers={"Accept-Language": language}).text
    assert words in text


def test_volunteers_cannot_reach_it(team, served):
    volunteer = team.person("vol")
    assert volunteer.get("/connect/").status_code == 404
    assert volunteer.get("/connect/qr.svg").status_code == 404


def test_the_printed_copy_leaves_the_menu_out():
    css = (Path(casework.__file__).parent / "static" / "casework.css").read_text()
    assert "@media print" in css and ".top" in css.split("@media print", 1)[1]


def test_the_board_warns_of_an_old_backup_and_a_certificate_near_its_end(team, app, served):
    board = team.coord.get("/").text
    assert "No backup for" not in board and "certificate expires" not in board
    backups.record(team.conn, TEAM_NOW - 20 * DAY, 100)
    served["expires"] = TEAM_NOW + 12 * DAY
    board = team.coord.get("/").text
    assert "No backup for 20 days" in board
    assert "certificate expires in 12 days" in board
    assert "No backup for" not in team.person("vol").get("/").text
