"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template

from casework.security import roles

bp = Blueprint("home", __name__)


@bp.route("/")
@roles("coordinator", "volunteer")
def index():
    return render_template("home/index.html")


@bp.route("/healthz")
def health():
    """Liveness for the operator and the benchmark's ceiling: reveals nothing, not even seal."""
    return {"ok": True}
