"""French, English and Spanish ship complete, and pages render in the chosen language."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "casework" / "translations"
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None
}  # fmt: skip
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def source_messages() -> set[str]:
    """What ./scripts/i18n extracts: babel.cfg's methods (command docstrings too)."""
    with open(ROOT / "babel.cfg") as handle:
        methods, options = parse_mapping_cfg(handle)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, methods, options, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str):
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", ["fr", "en", "es"])
def test_every_string_is_translated(language):
    # Plural entries are keyed by their singular form, as the extraction reports them.
    messages = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog(language) if m.id}
    missing = sorted(source_messages() - set(messages))
    assert not missing, f"run ./scripts/i18n and translate: {missing[:5]}"
    untranslated = sorted(str(m.id) for m in messages.values() if not m.string or m.fuzzy)
    assert not untranslated, f"{language}: untranslated {untranslated[:5]}"


@pytest.mark.parametrize("language", ["fr", "es"])
def test_placeholders_survive_translation(language):
    for message in catalog(language):
        if not message.id:
            continue
        wanted = set().union(*(PLACEHOLDER.findall(form) for form in forms(message.id)))
        for form in forms(message.string):
            assert set(PLACEHOLDER.findall(form)) == wanted, message.id


@pytest.mark.parametrize("language", ["fr", "en", "es"])
def test_brace_placeholders_survive_translation(language):
    """The command line's templates: same fields, format specs and conversions (for a
    plural entry, its first form as the singular, every other form as the plural)."""
    for message in catalog(language):
        if message.id and "python-brace-format" in message.flags:
            wanted = forms(message.id)
            for position, form in enumerate(forms(message.string)):
                assert fields(form) == fields(wanted[min(position, 1)]), message.id


def fields(template: str) -> set[tuple[str, str | None, str | None]]:
    parsed = string.Formatter().parse(template)
    return {(name, spec, conversion) for _text, name, spec, conversion in parsed if name}


def forms(text) -> tuple[str, ...]:
    """A message's forms: one for a plain string, several for a plural entry."""
    return (text,) if isinstance(text, str) else tuple(text)


@pytest.mark.parametrize(
    ("accept", "expected", "lang"),
    [
        ("fr-CA,fr;q=0.9", "Se connecter", "fr"),
        ("es-MX,es;q=0.9", "Iniciar sesión", "es"),
        ("en-CA,en;q=0.9", "Sign in", "en"),
    ],
)
def test_signin_page_in_browser_language(client, accept, expected, lang):
    page = client.get("/signin", headers={"Accept-Language": accept})
    assert f'<html lang="{lang}">' in page.text
    assert f"<h1>{expected}</h1>" in page.text


def test_instance_default_language_when_browser_says_nothing(client):
    page = client.get("/signin")
    assert '<html lang="fr">' in page.text  # the shipped default is French
