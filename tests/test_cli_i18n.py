"""The command line in the operator's language: help, messages, prompts and the errors of
lower layers in French and Spanish, chosen by the locale, else by config.toml, else English."""

from __future__ import annotations

import re
import string

import pytest
from click.testing import CliRunner
from helpers.instance import CHEAP_CONFIG, PASSPHRASE
from test_cli import all_commands

from casework.cli import cli, i18n
from casework.cli import messages as m

UNSET = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
FRENCH, SPANISH = "fr_CA.UTF-8", "es_MX"
# Words of English help that a translation may keep: names, not sentences.
KEPT = {
    "casework",
    "cli",
    "sqlite",
    "https",
    "http",
    "json",
    "qr",
    "sha",
    "pem",
    "tls",
    "toml",
    "ok",
}


def invoke(args, stdin=None, **env):
    return CliRunner(env={**UNSET, **env}).invoke(cli, args, input=stdin)


def english_runs(text: str, length: int = 3) -> set[str]:
    """Every run of ``length`` consecutive English words (letters only, not all capitals:
    metavars and names such as PATH stay)."""
    words = [w.strip(".,;:()[]`'\"") for w in text.split()]
    runs = set()
    for start in range(len(words) - length + 1):
        run = words[start : start + length]
        if all(w.isalpha() and not w.isupper() and w.lower() not in KEPT for w in run):
            runs.add(" ".join(run).lower())
    return runs


@pytest.mark.parametrize("locale", [FRENCH, SPANISH])
@pytest.mark.parametrize("command", [(), *all_commands(cli)], ids=" ".join)
def test_help_leaves_no_english_sentence(command, locale):
    english = invoke([*command, "--help"], LANG="C.UTF-8")
    translated = invoke([*command, "--help"], LANG=locale)
    assert english.exit_code == translated.exit_code == 0
    left = english_left(english.output, translated.output)
    assert not left, left


def english_left(english: str, translated: str) -> list[str]:
    flat = " ".join(w.strip(".,;:()[]`'\"").lower() for w in translated.split())
    return sorted(run for run in english_runs(english) if run in flat)


def test_the_english_check_sees_english():
    english = "--key-file PATH  Open the store with this key file (unattended)."
    assert english_left(english, "--key-file PATH  Ouvrir le coffre avec ce fichier") == []
    assert english_left(english, "--key-file PATH  Ouvrir the store with this") == [
        "store with this", "the store with"
    ]  # fmt: skip


def field_names(template: str) -> set[tuple[str, str, str | None]]:
    return {(name, spec, conv) for _t, name, spec, conv in string.Formatter().parse(template)
            if name is not None}  # fmt: skip


def templates() -> list[str]:
    found = []
    for name in dir(m):
        value = getattr(m, name)
        if name.isupper() and isinstance(value, str) and not name.startswith("EXIT"):
            found.append(value)
        elif name.isupper() and isinstance(value, dict | tuple):
            found += list(value.values() if isinstance(value, dict) else value)
    return found


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_template_is_translated_with_its_placeholders(language, monkeypatch):
    monkeypatch.setattr(i18n, "_language", language)
    for template in templates():
        translated = i18n.gettext(template)
        words = re.sub(r"\{[^}]*\}", "", template).replace("casework", "")
        if re.search(r"[a-z]{2}", words):
            assert translated != template, template
        assert field_names(translated) == field_names(template), template


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "fr_CA.UTF-8"}, "fr"),
        ({"LANG": "es_MX"}, "es"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "fr_CA.UTF-8@euro"}, "fr"),
        ({"LANG": "C"}, None),
        ({"LANG": "POSIX"}, None),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "de_DE.UTF-8"}, None),
        ({}, None),
        ({"LC_ALL": "es_MX", "LC_MESSAGES": "fr_CA", "LANG": "en_CA"}, "es"),
        ({"LC_MESSAGES": "fr_CA", "LANG": "es_MX"}, "fr"),
        ({"LC_ALL": "", "LANG": "es_MX"}, "es"),  # set but empty: as if unset
        ({"LC_ALL": "C", "LANG": "fr_CA.UTF-8"}, None),  # LC_ALL decides, and names none
    ],
)
def test_the_locale_names_the_language_in_posix_order(environ, expected):
    assert i18n.from_locale(environ) == expected


def test_a_locale_casework_does_not_speak_gives_english_without_error():
    result = invoke(["--help"], LANG="de_DE.UTF-8")
    assert result.exit_code == 0
    assert result.output.startswith("Usage:")
    assert "Show this message and exit." in result.output


def test_lc_all_wins_over_lang_and_lc_messages():
    result = invoke(["--help"], LC_ALL=SPANISH, LC_MESSAGES=FRENCH, LANG=FRENCH)
    assert "Mostrar este mensaje y salir." in result.output
    result = invoke(["--help"], LC_MESSAGES=FRENCH, LANG=SPANISH)
    assert "Afficher ce message et quitter." in result.output


@pytest.mark.parametrize("locale", [None, "C", "POSIX", "de_DE.UTF-8"])
def test_config_default_language_when_the_locale_names_none(instance, locale):
    (instance / "config.toml").write_text('default_language = "fr"\n' + CHEAP_CONFIG)
    result = invoke(["--instance", str(instance), "check", "--passphrase-stdin"],
                    stdin="x\n", LANG=locale)  # fmt: skip
    assert "casework: aucun coffre dans" in result.output
    help_page = invoke(["--instance", str(instance), "--help"], LANG=locale)
    assert help_page.output.startswith("Utilisation :")


def test_the_locale_wins_over_the_config(instance):
    (instance / "config.toml").write_text('default_language = "fr"\n' + CHEAP_CONFIG)
    result = invoke(["--instance", str(instance), "status"], LANG=SPANISH)
    assert "Servidor: detenido" in result.output


def test_without_config_language_nor_locale_english(instance):
    result = invoke(["--instance", str(instance), "status"], LANG="C")
    assert "Server: not running" in result.output


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (FRENCH, "casework: la phrase de passe ou la clé n’ouvre pas ce coffre"),
        (SPANISH, "casework: la frase de contraseña o la clave no abre este archivo cifrado"),
    ],
)
def test_a_wrong_passphrase_is_one_translated_line(instance, store_key, locale, expected):
    args = ["--instance", str(instance), "check", "--passphrase-stdin"]
    result = invoke(args, stdin="not the passphrase at all\n", LANG=locale)
    assert result.exit_code == 1
    assert result.output.strip() == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (FRENCH, "casework: le dossier de l’instance {path} n’existe pas"),
        (SPANISH, "casework: la carpeta de la instancia {path} no existe"),
    ],
)
def test_a_missing_folder_is_one_translated_line(tmp_path, locale, expected):
    missing = tmp_path / "nowhere"
    result = invoke(["--instance", str(missing), "check", "--passphrase-stdin"], "x\n", LANG=locale)
    assert result.exit_code == 1
    assert result.output.strip() == expected.format(path=missing)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (FRENCH, "la phrase de passe du coffre doit compter au moins 12 caractères"),
        (SPANISH, "la frase de contraseña del archivo cifrado debe tener al menos 12 caracteres"),
    ],
)
def test_an_error_of_a_lower_layer_is_translated_with_its_values(instance, locale, expected):
    result = invoke(["--instance", str(instance), "init"], "short\n" * 3, LANG=locale)
    assert result.exit_code == 2
    assert f"{expected} : réessayez" in result.output or f"{expected}: intente" in result.output


def test_prompts_and_dates_in_french(instance, store_key):
    result = invoke(["--instance", str(instance), "check"], f"{PASSPHRASE}\n", LANG=FRENCH)
    assert result.exit_code == 0, result.output
    assert "Phrase de passe de l’exploitation ou clé de récupération:" in result.output
    assert "ok : le coffre est intact" in result.output
    listed = invoke(["--instance", str(instance), "slots"], LANG=FRENCH)
    assert listed.output.split()[:3] == ["emplacement", "type", "créé"]
    assert "clé de récupération" in listed.output and "jamais" in listed.output
    months = [
        "janv",
        "févr",
        "mars",
        "avr",
        "mai",
        "juin",
        "juil",
        "août",
        "sept",
        "oct",
        "nov",
        "déc",
    ]
    month = re.search(r"\d{1,2} (\w+)\.? 20\d\d \d\d:\d\d UTC", listed.output)
    assert month and month.group(1) in months, listed.output


# --- click's own words: a mistyped command, a wrong value -------------------------------
MISTYPED = [
    (["nosuch"], {FRENCH: "Erreur : Aucune commande 'nosuch'.",
                  SPANISH: "Error: No existe el comando 'nosuch'."}),
    (["purg"], {FRENCH: "Vouliez-vous dire 'purge' ?", SPANISH: "¿Quiso decir 'purge'?"}),
    (["purge", "--bogus"], {FRENCH: "Aucune option '--bogus'.",
                            SPANISH: "No existe la opción '--bogus'."}),
    (["purge", "extra"], {FRENCH: "Argument en trop (extra)",
                                    SPANISH: "Argumento de más (extra)"}),
]  # fmt: skip


@pytest.mark.parametrize("locale", [FRENCH, SPANISH])
@pytest.mark.parametrize(
    ("args", "said"), MISTYPED, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_click_answers_a_mistyped_command_in_the_operators_language(args, said, locale):
    result = invoke(args, LANG=locale)
    english = invoke(args, LANG="C.UTF-8")
    assert result.exit_code == english.exit_code == 2
    assert said[locale] in result.output, result.output
    assert "Try '" not in result.output and "Try '" in english.output
    left = english_runs(result.output) & english_runs(english.output)
    assert not left, left


def test_click_still_uses_each_of_the_words_we_translate():
    """click_words.py lists click's msgids; a click that changed one would leave it
    untranslated, silently: each must still be in click's own source."""
    from pathlib import Path

    import click

    from casework.cli import click_words

    source = "".join(path.read_text() for path in Path(click.__file__).parent.glob("*.py"))
    plural = [form for pair in click_words.PLURAL for form in pair]
    for word in (*click_words.SINGULAR, *plural):
        assert f'"{word}"' in source, word
