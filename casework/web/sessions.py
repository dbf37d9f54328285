"""Server-side sessions: the cookie carries only a random id, the server keeps the rest.

Signed-in sessions live in the encrypted store (id stored hashed), so they can be ended
at once from the server: sign-out, deactivation, "sign out everywhere", Lock now.
Anonymous sessions (a CSRF token before sign-in) stay in bounded in-memory tables
(``web.signed_out``: a bound per client address, and half-done sign-ins kept apart so no
one else's traffic pushes them out), so that strangers cannot grow the store and the
sealed page still has CSRF protection.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from casework.store import sessions as stored
from casework.store.db import Error, is_disk_full
from casework.vault.store import Sealed, Store
from casework.web import context, errors
from casework.web.signed_out import SignedOutSessions

USER_KEY = "_user_id"
READS = ("GET", "HEAD")
# Refresh "last seen" at most once a minute: a write per request would serialise readers.
SEEN_RESOLUTION = 60
# A session id: 32 random bytes, 43 URL-safe characters. A cookie whose length is outside
# these bounds is no session of ours, and is not looked up.
SID_BYTES = 32
SID_LENGTHS = range(20, 65)


def hash_session_id(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii", "replace")).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """A session whose data stays on the server; ``rotate()`` asks for a fresh id."""

    def __init__(
        self, initial: dict | None = None, sid: str | None = None, seen_at: int | None = None
    ) -> None:
        def on_update(_: CallbackDict) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        # A signed-in session loaded from the store has its last seen time, as stored.
        self.seen_at = seen_at
        self.modified = False
        self.rotate_requested = False
        self.save_failed = False

    def rotate(self) -> None:
        """Issue a new id at the next save (at sign-in: no session fixation).

        The save reads this before anything else, whether or not the data changed.
        """
        self.rotate_requested = True

    @property
    def in_store(self) -> bool:
        return self.seen_at is not None


class ServerSessionInterface(SessionInterface):
    def __init__(self, per_address: int) -> None:
        self.signed_out = SignedOutSessions(per_address)

    @staticmethod
    def _store(app: Flask) -> Store:
        return app.extensions["casework_store"]

    @staticmethod
    def _limits(app: Flask) -> tuple[int, int]:
        settings = app.config["CASEWORK"]
        return settings["sessions.idle_minutes"] * 60, settings["sessions.absolute_hours"] * 3600

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid is None or len(sid) not in SID_LENGTHS:
            return ServerSession()
        id_hash, now = hash_session_id(sid), context.now()
        idle, absolute = self._limits(app)
        data = self.signed_out.get(id_hash, now, idle)
        if data is not None:
            return ServerSession(data, sid)
        store = self._store(app)
        if store.sealed:
            return ServerSession()
        conn = store.conn()
        row = stored.load(conn, id_hash)
        if row is None:
            return ServerSession()
        created = row["created_at"]
        if now - row["seen_at"] > idle or now - created > absolute or now < created:
            stored.end(conn, id_hash)
            return ServerSession()
        return ServerSession(json.loads(row["data"]), sid, row["seen_at"])

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        # Flask saves again after the error page of a failed save: once is enough.
        if session.save_failed:
            return
        try:
            if session.get(USER_KEY):
                self._save_signed_in(app, session, response)
            else:
                self._save_anonymous(app, session, response)
        except Sealed:
            # Locked while this request ran: nothing to keep, and the cookie is worthless.
            self._delete_cookie(app, response)
        except Error as exc:
            if is_disk_full(exc) and (not session.modified or request.method in READS):
                # A page that only reads is right as it is: serve it, the disk full noted.
                errors.note_disk_full(app)
                return
            session.save_failed = True
            raise

    def _save_signed_in(self, app: Flask, session: ServerSession, response: Response) -> None:
        conn, now = self._store(app).conn(), context.now()
        if session.rotate_requested or not session.in_store:
            old_sid = session.sid
            session.sid = secrets.token_urlsafe(SID_BYTES)
            old_hash = hash_session_id(old_sid) if old_sid else None
            data = json.dumps(dict(session))
            stored.start(conn, hash_session_id(session.sid), old_hash, session[USER_KEY], data, now)
            if old_hash:
                self._forget_anonymous(old_hash)
            self._set_cookie(app, response, session.sid)
        elif session.modified or now - session.seen_at >= SEEN_RESOLUTION:
            stored.save(conn, hash_session_id(session.sid), json.dumps(dict(session)), now)

    def _save_anonymous(self, app: Flask, session: ServerSession, response: Response) -> None:
        if session.in_store:  # signed out: the stored session ends now, and its id
            stored.end(self._store(app).conn(), hash_session_id(session.sid))
            session.sid = None
        if not session:
            if session.sid:
                self._forget_anonymous(hash_session_id(session.sid))
                self._delete_cookie(app, response)
            return
        if session.sid is None or session.rotate_requested:
            session.sid = secrets.token_urlsafe(SID_BYTES)
            self._set_cookie(app, response, session.sid)
        address = request.remote_addr or "unknown"
        self.signed_out.put(hash_session_id(session.sid), dict(session), context.now(), address)

    def _forget_anonymous(self, id_hash: str) -> None:
        self.signed_out.forget(id_hash)

    def forget_all_anonymous(self) -> None:
        """Drop every anonymous session (Lock now)."""
        self.signed_out.clear()

    def _set_cookie(self, app: Flask, response: Response, sid: str) -> None:
        response.set_cookie(
            self.get_cookie_name(app),
            sid,
            path="/",
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite="Strict",
        )
        response.vary.add("Cookie")

    def _delete_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            path="/",
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite="Strict",
        )


def init_app(app: Flask) -> None:
    tls = app.config["CASEWORK_TLS"]
    # __Host- binds the cookie to this origin: Secure, path /, no Domain.
    app.config["SESSION_COOKIE_NAME"] = "__Host-casework" if tls else "casework"
    app.config["SESSION_COOKIE_SECURE"] = tls
    # HttpOnly and SameSite=Strict: _set_cookie and _delete_cookie give them every time.
    per_address = app.config["CASEWORK"]["sessions.signed_out_per_address"]
    app.session_interface = ServerSessionInterface(per_address)
