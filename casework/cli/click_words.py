"""What click writes itself when a command is mistyped or a prompt is answered wrongly, in
click's own words: these are its msgids, listed here so that the catalogues carry them.

click looks its messages up with the standard library's ``gettext`` in the domain
"messages"; ``i18n.choose`` points that domain at casework's catalogues in the operator's
language. A test checks that click still uses each of these words, and that the
command line answers a mistyped command in French and in Spanish.
"""

from __future__ import annotations

from casework.rules.wording import N_


def ngettext(singular: str, plural: str, count: int = 2) -> tuple[str, str]:
    """A marker for the extraction of click's plural messages; it translates nothing."""
    return singular, plural


SINGULAR = (
    N_("Aborted!"),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("Option {name!r} does not take a value."),
    N_("Argument {name!r} takes {nargs} values."),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
    N_("Error: invalid input"),
    N_("Do you want to continue?"),
    N_("Confirm the action without prompting."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("Could not open file {filename!r}: {message}"),
    N_("default: {default}"),
    N_("unknown error"),
)

PLURAL = (
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    ngettext(
        "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."
    ),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
)
