"""The tasks blueprint, shared by its view modules (pages, staffing, the week view)."""

from flask import Blueprint

bp = Blueprint("tasks", __name__)
