"""Forms of the people page; each action is its own small POST form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

ROLE_LABELS = {"volunteer": _l("Volunteer"), "coordinator": _l("Coordinator")}


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(role, label) for role, label in ROLE_LABELS.items()]
    )


class InviteForm(RoleForm):
    """Invite someone with a role; the link and code are shown once."""
