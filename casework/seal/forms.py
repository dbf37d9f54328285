"""The sealed page's two forms (Lock now confirms with web.forms.ConfirmForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casework.vault.keys import MAX_PASSPHRASE


class CoordinatorUnlockForm(FlaskForm):
    """A coordinator's own sign-in: it unseals the store and signs them in, in one step."""

    handle = StringField(_l("Pseudonym"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    code = StringField(
        _l("Code"),
        description=_l("The 6 digits your app shows now, or one of your recovery codes."),
        validators=[DataRequired(), Length(max=64)],
    )


class UnlockForm(FlaskForm):
    """The recovery key (from the envelope) or the operator passphrase."""

    passphrase = PasswordField(
        _l("Recovery key or operator passphrase"),
        description=_l("The recovery key is 9 groups of 6 symbols; dashes and case do not matter."),
        validators=[DataRequired(), Length(max=MAX_PASSPHRASE)],
    )
