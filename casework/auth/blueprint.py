"""The sign-in blueprint, shared by its two view modules (signing in, the second factor)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
