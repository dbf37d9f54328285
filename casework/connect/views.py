"""Connect a phone: a page to show (or print for the office wall) and its QR code image."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, render_template

from casework.web import hosts
from casework.web.gate import roles

bp = Blueprint("connect", __name__, url_prefix="/connect")
GROUPS_PER_LINE = 4


@bp.route("/")
@roles("coordinator")
def phone():
    """The address, its QR code, the fingerprint in short groups and the steps to check it."""
    served = hosts.served() or {}
    groups = hosts.fingerprint_groups(served.get("fingerprint", ""))
    lines = [groups[i : i + GROUPS_PER_LINE] for i in range(0, len(groups), GROUPS_PER_LINE)]
    return render_template(
        "connect/phone.html", url=hosts.phone_url(), fingerprint_lines=lines, own=served.get("own")
    )


@bp.route("/qr.svg")
@roles("coordinator")
def qr():
    """The address as an SVG QR code, drawn here: no script, no outside service."""
    out = io.BytesIO()
    segno.make(hosts.phone_url(), error="m").save(
        out, kind="svg", scale=8, border=4, light="#fff", xmldecl=False, svgns=True
    )
    return Response(out.getvalue(), mimetype="image/svg+xml")
