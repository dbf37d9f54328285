"""Shared test data and helpers (imported by tests and by conftest fixtures)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from casework.rules import totp
from casework.store import invites
from casework.vault import keys

PASSPHRASE = "correct horse battery staple"
PASSWORD = "a long enough test password"
CHEAP_CONFIG = """\
[kdf]
time_cost = 1
memory_kib = 8
parallelism = 1

[passwords]
time_cost = 1
memory_kib = 8
parallelism = 1
"""
CHEAP_KDF = keys.KdfParams(time_cost=1, memory_kib=8, parallelism=1)


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
    if match is None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, "no CSRF token in the page"
    return match.group(1)


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
        page = client.get(f"/setup/{token}")
        response = client.post(
            f"/setup/{token}",
            data={
                "handle": handle,
                "password": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": csrf_token(page),
            },
        )
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
        page = client.get("/signin")
        response = client.post(
            "/signin",
            data={"handle": handle, "password": password, "csrf_token": csrf_token(page)},
        )
        if response.status_code == 302 and response.headers["Location"] == "/signin/code":
            page = client.get("/signin/code")
            response = client.post(
                "/signin/code",
                data={"code": self.fresh_code(handle), "csrf_token": csrf_token(page)},
            )
        return response


def _now(app) -> int:
    return int(app.config["CASEWORK_CLOCK"]())


def submit(client, url: str, data: dict | None = None, page: str | None = None):
    """GET a page for its CSRF token (``page``, else ``url``), then POST ``data`` to ``url``."""
    token = csrf_token(client.get(page or url))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def english(client):
    """Make a test client ask for English pages (the instance default is French)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# 2026-03-02 10:00 in Montreal (a Monday), a week before clocks go forward (2026-03-08).
TEAM_NOW = 1772463600


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
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
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

    def post(self, client, url: str, data: dict | None = None, page: str = "/"):
        """POST with a CSRF token read from ``page``."""
        token = csrf_token(client.get(page))
        return client.post(url, data={**(data or {}), "csrf_token": token})

    def user_id(self, handle: str) -> int:
        return self.conn.execute("SELECT id FROM users WHERE handle = ?", (handle,)).fetchone()[0]

    def case_fields(self, **fields) -> dict:
        return {"context_note": "", "coordinator": str(self.user_id("coord")), **fields}

    def open_case(self, client, **fields) -> str:
        response = self.post(client, "/cases/new", self.case_fields(**fields), "/cases/new")
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
        response = self.post(client, page, self.task_fields(**fields), page)
        assert response.status_code == 302, response.text
        return response.headers["Location"].rsplit("/", 1)[1]

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
