"""The command line in the operator's language, from the same catalogues as the pages.

The language is the one the locale names (LC_ALL, else LC_MESSAGES, else LANG: the first
one set decides, as in POSIX), when casework speaks it; else ``default_language`` when
config.toml sets it; else English. Commands and groups made here translate their help,
their options' help and the headings click writes; ``extract`` lets ``./scripts/i18n``
find the command docstrings that are that help.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import gettext as stdlib_gettext
import importlib
import inspect
import io
import os
import tomllib
from collections.abc import Iterator, Mapping
from copy import copy
from pathlib import Path

import click
from babel import dates
from babel.messages.extract import extract_python
from babel.support import NullTranslations, Translations

from casework.config import CONFIG_FILE, LANGUAGES
from casework.rules.wording import N_

CATALOGUES = Path(__file__).resolve().parent.parent / "translations"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
ENGLISH = "en"
# Where each language's dates are written the way its readers expect.
DATE_LOCALES = {"fr": "fr_CA", "en": "en_CA", "es": "es_419"}
# What click writes itself on a help page: translated by Formatter and format_options.
CLICK_WORDS = (N_("Usage:"), N_("Options:"), N_("Commands:"), N_("Show this message and exit."))

_language = ENGLISH


def from_locale(environ: Mapping[str, str]) -> str | None:
    """The language the locale names, if casework speaks it ("fr_CA.UTF-8" → "fr")."""
    value = next((environ[name] for name in LOCALE_VARIABLES if environ.get(name)), "")
    code = value.split(".", 1)[0].split("@", 1)[0].split("_", 1)[0].lower()
    return code if code in LANGUAGES else None  # "C" and "POSIX" name no language


def configured(instance: Path) -> str | None:
    """``default_language`` when the instance's config.toml sets it; None when it does not,
    or cannot be read (the command itself reports a broken config)."""
    try:
        with open(instance / CONFIG_FILE, "rb") as handle:
            value = tomllib.load(handle).get("default_language")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value if value in LANGUAGES else None


def choose(instance: Path, environ: Mapping[str, str] = os.environ) -> str:
    """Speak the operator's language from now on in this process; return it."""
    global _language
    _language = from_locale(environ) or configured(instance) or ENGLISH
    return _language


def language() -> str:
    return _language


@functools.cache
def _catalogue(language: str) -> NullTranslations:
    return Translations.load(str(CATALOGUES), [language], domain="messages")


def gettext(message: str) -> str:
    """``message`` in the chosen language (itself when the catalogue lacks it)."""
    return _catalogue(_language).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """``singular`` or ``plural`` for ``count``, in the chosen language."""
    return _catalogue(_language).ngettext(singular, plural, count)


def _click_speaks_casework() -> None:
    """click writes its own messages (a mistyped command, a missing argument, a prompt
    answered wrongly) through the standard library's gettext, which each of its modules
    binds at import and which would read the locale, not casework's choice: those
    modules look in casework's catalogues, in the chosen language, instead (click's
    words are listed in click_words.py; a test checks they are still click's)."""
    for name in ("core", "decorators", "exceptions", "formatting", "parser", "termui",
                 "types", "utils"):  # fmt: skip
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is stdlib_gettext.gettext:
            module._ = gettext
        if getattr(module, "ngettext", None) is stdlib_gettext.ngettext:
            module.ngettext = ngettext


_click_speaks_casework()


def day(moment: dt.datetime) -> str:
    """A date the way the chosen language writes it (15 janvier 2027, January 15, 2027)."""
    return dates.format_date(moment.date(), "long", locale=DATE_LOCALES[_language])


def minute(moment: dt.datetime) -> str:
    """A date and time in UTC, the way the chosen language writes them."""
    when = moment.astimezone(dt.UTC)
    written = dates.format_date(when.date(), "medium", locale=DATE_LOCALES[_language])
    return f"{written} {when:%H:%M} UTC"


def instance_in(args: list[str], environ: Mapping[str, str] = os.environ) -> Path:
    """The instance folder the arguments name, as far as can be told before parsing them
    (``casework --instance X --help`` prints its help before --instance is read)."""
    for position, arg in enumerate(args):
        if arg == "--instance" and position + 1 < len(args):
            return Path(args[position + 1]).expanduser()
        if arg.startswith("--instance="):
            return Path(arg.split("=", 1)[1]).expanduser()
        if not arg.startswith("-"):
            break  # the command's name: its own options come after
    return Path(environ.get("CASEWORK_INSTANCE") or "instance").expanduser()


class Formatter(click.HelpFormatter):
    """Click's help formatter, with its headings in the chosen language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, f"{gettext('Usage:')} " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        # The colon is part of the msgid: French writes "Options :".
        self.write(f"{'':>{self.current_indent}}{gettext(f'{heading}:')}\n")


class Context(click.Context):
    formatter_class = Formatter


class Translated:
    """A click command whose help (its docstring) and options' help are msgids."""

    context_class = Context

    @property
    def help(self) -> str | None:
        return gettext(inspect.cleandoc(self._help)) if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        opts = []
        for param in self.get_params(ctx):
            if isinstance(param, click.Option) and param.help:
                param = copy(param)
                param.help = gettext(param.help)
            record = param.get_help_record(ctx)
            if record is not None and not isinstance(param, click.Argument):
                opts.append(record)
        if opts:
            with formatter.section("Options"):
                formatter.write_dl(opts)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


class Command(Translated, click.Command):
    pass


class Group(Translated, click.Group):
    command_class = Command


def command(name: str | None = None, **attrs) -> click.Command:
    return click.command(name, cls=Command, **attrs)


def group(name: str | None = None, **attrs) -> click.Group:
    return click.group(name, cls=Group, **attrs)


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extraction for the command line: the usual Python messages, and the docstring
    of every function made a command (decorated with a ``command`` or ``group`` call)."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(map(_makes_command, node.decorator_list)):
            docstring = ast.get_docstring(node)
            if docstring:
                yield node.lineno, "", docstring, []


def _makes_command(decorator: ast.expr) -> bool:
    call = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = call.attr if isinstance(call, ast.Attribute) else getattr(call, "id", "")
    return name in ("command", "group")
