"""The app factory: settings, the plumbing's init_app() calls, the blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from casework import auth, cases, config, connect, home, people, profile, retention, seal, tasks
from casework.vault.store import Store
from casework.web import (
    cards,
    context,
    errors,
    gate,
    hosts,
    i18n,
    labels,
    lifecycle,
    parts,
    sessions,
    throttle,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class Casework(Flask):
    """Flask, with its own failure log line routed through casework's."""

    def log_exception(self, exc_info) -> None:
        # Flask's line names the path (case codes, task tokens) and adds a traceback.
        errors.log_failure(exc_info[1])


def create_app(
    instance: Path | str,
    *,
    key: bytearray | None = None,
    settings: dict[str, Any] | None = None,
    tls: bool = True,
    testing: bool = False,
) -> Flask:
    """Build the app over the store in ``instance``; unlocked when ``key`` is given.

    ``settings`` override ``instance/config.toml`` (dotted names, validated the same way).
    """
    instance = Path(instance).resolve()
    app = Casework(__name__, instance_path=str(instance), template_folder=str(TEMPLATES))
    app.config.update(
        TESTING=testing,
        CASEWORK=config.load(instance, settings),
        CASEWORK_TLS=tls,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the server-side session
        # The strict check wants a Referer, which our no-referrer policy never sends;
        # SameSite=Strict cookies and the Sec-Fetch-Site check in the gate cover it.
        WTF_CSRF_SSL_STRICT=False,
    )
    app.config["MAX_CONTENT_LENGTH"] = app.config["CASEWORK"]["max_request_kib"] * 1024
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]

    store = Store(instance)
    app.extensions["casework_store"] = store
    context.init_app(app)
    hosts.init_app(app)  # before the gate: an unknown Host is refused before anything runs
    gate.init_app(app)
    sessions.init_app(app)
    i18n.init_app(app)
    throttle.init_app(app)
    lifecycle.init_app(app)
    labels.init_app(app)
    cards.init_app(app)
    parts.init_app(app)

    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(auth.links_bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(seal.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(retention.bp)
    app.register_blueprint(connect.bp)

    if key is not None:
        lifecycle.unlock_with_key(app, key)
    return app
