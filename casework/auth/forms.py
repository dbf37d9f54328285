"""Sign-in and first-account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from casework.rules import guard, passwords
from casework.web.forms import refusal_message

HANDLE_RULES = _l("3 to 32 characters. A pseudonym, never your legal name.")

PASSWORD_PROBLEMS = {
    "too_short": _l("Use at least 12 characters."),
    "too_long": _l("Use at most 128 characters."),
    "common": _l("This password is too common: choose a longer, less usual one."),
    "contains_handle": _l("Do not put your pseudonym in your password."),
    "control_chars": _l("The password contains characters that cannot be typed."),
}


def check_handle(handle: str) -> str | None:
    """The reason a handle is refused, or None (shared by forms and the command line)."""
    if not 3 <= len(handle) <= 32:
        return _l("A pseudonym has 3 to 32 characters.")
    if any(not (ch.isalnum() or ch in "-_. ") for ch in handle) or handle != handle.strip():
        return _l("Use letters, digits, spaces, dots, dashes or underscores only.")
    findings = guard.find_identifiers(handle)
    if findings:  # a pseudonym shaped like a phone or file number says who someone is
        return refusal_message(findings)
    return None


class SignInForm(FlaskForm):
    handle = StringField(_l("Pseudonym"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class SetupForm(FlaskForm):
    handle = StringField(_l("Pseudonym"), description=HANDLE_RULES, validators=[DataRequired()])
    password = PasswordField(
        _l("Password"), description=_l("12 to 128 characters."), validators=[DataRequired()]
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    def validate_handle(self, field: StringField) -> None:
        problem = check_handle(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_password(self, field: PasswordField) -> None:
        problems = passwords.check_password_rules(field.data or "", handle=self.handle.data)
        if problems:
            raise ValidationError(PASSWORD_PROBLEMS[problems[0]])


def code_field(label, description, max_length: int) -> StringField:
    """A short code typed by hand: from an authenticator app, a recovery sheet, a coordinator."""
    return StringField(
        label, description=description, validators=[DataRequired(), Length(max=max_length)]
    )


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = code_field(
        _l("Code"), _l("The 6 digits your app shows now, or one of your recovery codes."), 64
    )


class EnrolForm(FlaskForm):
    code = code_field(
        _l("Code from your app"), _l("The 6 digits your app shows after adding casework."), 16
    )


class JoinForm(FlaskForm):
    code = code_field(
        _l("Invitation code"),
        _l("The code a coordinator gave you, for example K7M-4QX2-P9R."),
        64,
    )


class NewPasswordForm(FlaskForm):
    """A new password for a reset link; the person's handle is set by the view."""

    password = PasswordField(
        _l("New password"), description=_l("12 to 128 characters."), validators=[DataRequired()]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    handle_for_rules: str | None = None

    def validate_password(self, field: PasswordField) -> None:
        problems = passwords.check_password_rules(field.data or "", handle=self.handle_for_rules)
        if problems:
            raise ValidationError(PASSWORD_PROBLEMS[problems[0]])


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
