"""The one account factory: people made through the real setup link and signed in
(``Accounts``), made in a store before a server starts (``stored_account``), or planted
as bare rows (``insert_user``); and ``Team``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from casework.rules import passwords, totp
from casework.store import invites, second_factor, users
from casework.store.db import transaction
from helpers.forms import csrf_token, english, post
from helpers.instance import CHEAP_HASH, PASSWORD, TEAM_NOW


def insert_user(conn, handle: str, role: str = "volunteer", created_at: int = 0, **columns) -> int:
    """A user row planted in one transaction (no web request, no real password hash);
    ``columns`` sets any other column (languages, last_seen_at, active, ...)."""
    values = {"public_id": f"pub-{handle}", "password_hash": "x", **columns}
    names = ["handle", "role", "created_at", *values]
    marks = ", ".join("?" * len(names))
    with transaction(conn):
        cursor = conn.execute(
            f"INSERT INTO users ({', '.join(names)}) VALUES ({marks})",  # noqa: S608
            (handle, role, created_at, *values.values()),
        )
    return cursor.lastrowid


def stored_account(conn, handle: str, role: str, now: int, secret: bytes | None = None):
    """A person who can sign in with PASSWORD (cheaply hashed), made straight in a store
    before any server runs; ``secret`` enrols their second factor."""
    user = users.create(conn, handle, role, passwords.hash_password(PASSWORD, CHEAP_HASH), now)
    if secret is not None:
        second_factor.enrol(conn, user.id, secret, 0)
    return user


@dataclass
class Account:
    """What a test knows about a person it created: ids and their second factor."""

    handle: str
    role: str
    public_id: str
    secret: bytes | None = None
    recovery_codes: list[str] = field(default_factory=list)


class Accounts:
    """Creates people through the real setup link and signs them in.

    Coordinators enrol a second factor at creation (as the app demands); signin() then
    completes the code step with a fresh code from the app clock, or a recovery code
    when every step in the window is used up.
    """

    def __init__(self, app, client) -> None:
        self.app, self.client = app, client
        self.people: dict[str, Account] = {}

    def create(
        self, handle: str, role: str = "coordinator", client=None, second_factor=None
    ) -> Account:
        client = client or self.app.test_client()
        conn = self.app.extensions["casework_store"].conn()
        with self.app.app_context():
            token = invites.create(conn, "setup", role, _now(self.app), 24)
        form = {"handle": handle, "password": PASSWORD, "confirm": PASSWORD}
        response = post(client, f"/setup/{token}", form)
        assert response.status_code == 302, response.text
        row = conn.execute("SELECT public_id FROM users WHERE handle = ?", (handle,)).fetchone()
        account = Account(handle, role, row[0])
        self.people[handle] = account
        if second_factor if second_factor is not None else role == "coordinator":
            self.enrol(account, client)
        return account

    def enrol(self, account: Account, client) -> None:
        """Enrol TOTP the way a person does: read the key shown as text, type a code."""
        page = client.get("/profile/second-factor")
        shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text)
        assert shown, page.text
        account.secret = totp.base32_to_secret(shown.group(1))
        # The previous step: the current and next stay free for the first sign-ins.
        code = totp.code_at(account.secret, _now(self.app) - totp.TIME_STEP)
        done = client.post(
            "/profile/second-factor", data={"code": code, "csrf_token": csrf_token(page)}
        )
        assert done.status_code == 200, done.text
        account.recovery_codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.text)
        assert len(account.recovery_codes) == 10

    def fresh_code(self, handle: str) -> str:
        """A code the server will accept now: an unused TOTP step, else a recovery code."""
        account = self.people[handle]
        conn = self.app.extensions["casework_store"].conn()
        last = conn.execute(
            "SELECT totp_last_step FROM users WHERE handle = ?", (handle,)
        ).fetchone()[0]
        current = totp.step_at(_now(self.app))
        step = max(current - totp.WINDOW, (last if last is not None else -1) + 1)
        if step <= current + totp.WINDOW:
            return totp.code_at(account.secret, step * totp.TIME_STEP)
        return account.recovery_codes.pop()

    def signin(self, handle: str, client=None, password: str = PASSWORD):
        client = client or self.client
        response = post(client, "/signin", {"handle": handle, "password": password})
        if response.status_code == 302 and response.headers["Location"] == "/signin/code":
            response = post(client, "/signin/code", {"code": self.fresh_code(handle)})
        return response


def _now(app) -> int:
    return int(app.config["CASEWORK_CLOCK"]())


def set_languages(app, handle: str, codes: str) -> None:
    """Set a person's spoken languages directly (the profile page is another branch's)."""
    conn = app.extensions["casework_store"].conn()
    conn.execute("UPDATE users SET languages = ? WHERE handle = ?", (codes, handle))


class Team:
    """People with their own signed-in English clients, on a clock the test moves."""

    def __init__(self, app, accounts: Accounts, now: int = TEAM_NOW) -> None:
        self.app, self.accounts, self.now = app, accounts, now
        app.config["CASEWORK_CLOCK"] = lambda: self.now
        # Tests move the clock by hours: keep sessions alive across the jumps.
        app.config["CASEWORK"]["sessions.idle_minutes"] = 720
        app.config["CASEWORK"]["sessions.absolute_hours"] = 72
        app.config["CASEWORK"]["lock.idle_hours"] = 0  # and the store open across them
        self.clients: dict[str, object] = {}

    def person(self, handle: str, role: str = "volunteer", languages: str = ""):
        client = english(self.app.test_client())
        self.accounts.create(handle, role, client=client)
        if languages:
            set_languages(self.app, handle, languages)
        self.clients[handle] = client
        return client

    def advance(self, seconds: int) -> None:
        """Move the clock; everyone whose session ran out signs in again."""
        self.now += seconds
        for handle, client in self.clients.items():
            if client.get("/").status_code == 302:
                self.accounts.signin(handle, client=client)

    @property
    def conn(self):
        return self.app.extensions["casework_store"].conn()

    def user_id(self, handle: str) -> int:
        return self.conn.execute("SELECT id FROM users WHERE handle = ?", (handle,)).fetchone()[0]

    def case_fields(self, **fields) -> dict:
        return {"context_note": "", "coordinator": str(self.user_id("coord")), **fields}

    def open_case(self, client, **fields) -> str:
        response = post(client, "/cases/new", self.case_fields(**fields), page="/cases/new")
        assert response.status_code == 302, response.text
        return response.headers["Location"].rsplit("/", 1)[1]

    def task_fields(self, **fields) -> dict:
        return {
            "kind": "hearing",
            "day": "2026-03-03",
            "start": "09:00",
            "duration": "120",
            "place": "Palais de justice",
            "meeting_point": "Main entrance",
            "people_needed": "2",
            "languages": ["es"],
            "instructions": "Bring the hearing notice.",
            **fields,
        }

    def add_task(self, client, code: str, **fields) -> str:
        page = f"/cases/{code}/tasks/new"
        response = post(client, page, self.task_fields(**fields), page=page)
        assert response.status_code == 302, response.text
        return response.headers["Location"].rsplit("/", 1)[1]

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
