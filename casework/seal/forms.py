"""The unlock form (Lock now confirms with web.forms.ConfirmForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from casework.vault.keys import MAX_PASSPHRASE


class UnlockForm(FlaskForm):
    passphrase = PasswordField(
        _l("Store passphrase"), validators=[DataRequired(), Length(max=MAX_PASSPHRASE)]
    )
