"""The whole workflow through the Flask test client, with a distinctive marker in every
free-text field and every secret recorded (SECURITY.md items 15 and 16 share it).

setup link -> coordinator enrols TOTP -> invites a volunteer who joins by code -> case ->
task -> sign-up -> debrief -> boards -> purge -> Lock now -> unlock -> sign in again,
plus the error paths where content tends to leak: guard refusals, wrong passwords, wrong
codes, CSRF failures, a wrong passphrase.
"""

from __future__ import annotations

import re

from casework.rules import totp
from casework.store import invites
from casework.vault import purges
from helpers.forms import csrf_token
from helpers.instance import PASSPHRASE, TEAM_NOW

DAY = 24 * 3600
# Markers: words no log line, template or library would ever contain by chance.
MARKERS = {
    "coord_handle": "Quokkacoord",
    "vol_handle": "Wombatvolun",
    "context_note": "marmaladecontextnote",
    "place": "tamarindplacemarker",
    "meeting_point": "junipermeetingmarker",
    "instructions": "saffroninstructionsmarker",
    "debrief_note": "cardamomdebriefmarker",
    "refused_note": "papayarefusednote",
    "csrf_note": "guavacsrfnote",
    "unknown_handle": "Narwhalnobody",
}
COORD_PASSWORD = "kumquat password marker"
VOL_PASSWORD = "persimmon password marker"
NEW_PASSWORD = "lychee new password marker"
WRONG_PASSWORD = "rhubarb wrong password marker"
WRONG_CODE = "DRAGONFRUIT-WRONG-CODE"
WRONG_INVITE = "ZZZ-ZZZZ-ZZZ"
WRONG_PASSPHRASE = "elderberry wrong passphrase marker"


class Workflow:
    """Runs every step; ``secrets`` collects what must never reach a log."""

    def __init__(self, app) -> None:
        self.app, self.now = app, TEAM_NOW
        app.config["CASEWORK_CLOCK"] = lambda: self.now
        app.config["CASEWORK"]["lock.idle_hours"] = 0
        self.coord = self._client()
        self.vol = self._client()
        self.secrets: list[str] = [
            PASSPHRASE, COORD_PASSWORD, VOL_PASSWORD, NEW_PASSWORD, WRONG_PASSWORD,
            WRONG_CODE, WRONG_PASSPHRASE, *MARKERS.values(),
        ]  # fmt: skip
        self.codes: list[str] = []  # six digits: checked as whole numbers only
        self.responses: list = []

    def _client(self):
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    def _keep(self, response):
        self.responses.append(response)
        return response

    def post(self, client, url: str, data: dict, page: str | None = None, csrf: bool = True):
        form = dict(data)
        if csrf:
            form["csrf_token"] = csrf_token(self._keep(client.get(page or url)))
        return self._keep(client.post(url, data=form))

    def _cookie(self, client) -> None:
        cookie = client.get_cookie("casework")
        if cookie is not None:
            self.secrets.append(cookie.value)

    def run(self) -> Workflow:
        """Every step, in the order a group lives them."""
        self.setup_coordinator()
        self.invite_volunteer()
        code = self.open_case()
        task = self.add_task(code)
        self.sign_up(task)
        self.error_paths(code, task)
        self.debrief(task)
        self.boards()
        self.purge()
        self.lock_and_unlock()
        return self

    def setup_coordinator(self) -> None:
        conn = self.app.extensions["casework_store"].conn()
        with self.app.app_context():
            token = invites.create(conn, "setup", "coordinator", self.now, 24)
        self.secrets.append(token)
        handle = MARKERS["coord_handle"]
        form = {"handle": handle, "password": COORD_PASSWORD, "confirm": COORD_PASSWORD}
        assert self.post(self.coord, f"/setup/{token}", form).status_code == 302
        page = self._keep(self.coord.get("/profile/second-factor"))
        shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text)
        self.secret = totp.base32_to_secret(shown.group(1))
        self.secrets += [shown.group(1), shown.group(1).replace(" ", ""), self.secret.hex()]
        wrong = self.post(self.coord, "/profile/second-factor", {"code": WRONG_CODE})
        assert wrong.status_code == 200
        done = self.post(self.coord, "/profile/second-factor", {"code": self._code()})
        recovery = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.text)
        assert len(recovery) == 10, done.text
        self.secrets += recovery
        self._cookie(self.coord)

    def _code(self) -> str:
        self.now += 90  # a fresh step each time: a used step is refused
        code = totp.code_at(self.secret, self.now)
        self.codes.append(code)
        return code

    def signin_coordinator(self, password: str = COORD_PASSWORD) -> None:
        form = {"handle": MARKERS["coord_handle"], "password": password}
        first = self.post(self.coord, "/signin", form)
        assert first.headers.get("Location") == "/signin/code", first.text
        done = self.post(self.coord, "/signin/code", {"code": self._code()})
        assert done.status_code == 302, done.text
        self._cookie(self.coord)

    def signin_volunteer(self) -> None:
        form = {"handle": MARKERS["vol_handle"], "password": VOL_PASSWORD}
        assert self.post(self.vol, "/signin", form).status_code == 302
        self._cookie(self.vol)

    def invite_volunteer(self) -> None:
        shown = self.post(self.coord, "/people/invite", {"role": "volunteer"}, "/people/")
        code = re.search(r'<code id="invite-code">([^<]+)</code>', shown.text).group(1)
        link = re.search(r'<code id="invite-link">[^<]*/join/([^<]+)</code>', shown.text)
        self.secrets += [code, link.group(1)]
        refused = self.post(self.vol, "/join", {"code": WRONG_INVITE})
        assert "not valid" in refused.text
        assert self.post(self.vol, "/join", {"code": code}).status_code == 302
        form = {"handle": MARKERS["vol_handle"], "password": VOL_PASSWORD, "confirm": VOL_PASSWORD}
        assert self.post(self.vol, "/join/finish", form).status_code == 302
        self._cookie(self.vol)
        profile = {"languages": ["es", "fr"], "availability": ["0", "1"], "ui_language": "en"}
        assert self.post(self.vol, "/profile/", profile).status_code == 302

    def open_case(self) -> str:
        coordinator = (
            self.app.extensions["casework_store"]
            .conn()
            .execute("SELECT id FROM users WHERE role = 'coordinator'")
            .fetchone()[0]
        )
        form = {"context_note": MARKERS["context_note"], "coordinator": str(coordinator)}
        response = self.post(self.coord, "/cases/new", form)
        assert response.status_code == 302, response.text
        code = response.headers["Location"].rsplit("/", 1)[1]
        self.secrets.append(code)
        return code

    def task_form(self, **fields) -> dict:
        return {
            "kind": "hearing", "day": "2026-03-03", "start": "09:00", "duration": "120",
            "place": MARKERS["place"], "meeting_point": MARKERS["meeting_point"],
            "people_needed": "2", "languages": ["es"], "instructions": MARKERS["instructions"],
            **fields,
        }  # fmt: skip

    def add_task(self, code: str) -> str:
        response = self.post(self.coord, f"/cases/{code}/tasks/new", self.task_form())
        assert response.status_code == 302, response.text
        token = response.headers["Location"].rsplit("/", 1)[1]
        self.secrets.append(token)
        return token

    def sign_up(self, token: str) -> None:
        done = self.post(self.vol, f"/tasks/{token}/signup", {}, f"/tasks/{token}")
        assert done.headers["Location"] == f"/tasks/{token}?going=1"
        page = self._keep(self.vol.get(f"/tasks/{token}"))
        assert MARKERS["instructions"] in page.text

    def error_paths(self, code: str, token: str) -> None:
        """Refusals: each must answer clearly without writing what was typed to a log."""
        refused = MARKERS["refused_note"] + " call 514-555-0199 or x@example.org"
        guarded = self.post(self.coord, f"/cases/{code}/edit", {"context_note": refused})
        assert guarded.status_code == 200
        bad = self.task_form(instructions=refused, day="2026-02-30")
        assert self.post(self.coord, f"/cases/{code}/tasks/new", bad).status_code == 200
        no_csrf = {"context_note": MARKERS["csrf_note"]}
        assert self.post(self.coord, "/cases/new", no_csrf, csrf=False).status_code == 400
        assign = {"volunteer": MARKERS["unknown_handle"]}
        self.post(self.coord, f"/tasks/{token}/assign", assign, f"/tasks/{token}")
        wrong = {"current": WRONG_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        assert "not your current" in self.post(self.vol, "/profile/password", wrong).text
        stranger = self._client()
        for handle in (MARKERS["coord_handle"], MARKERS["unknown_handle"]):
            form = {"handle": handle, "password": WRONG_PASSWORD}
            assert self.post(stranger, "/signin", form).status_code == 200
        form = {"handle": MARKERS["coord_handle"], "password": COORD_PASSWORD}
        assert self.post(stranger, "/signin", form).status_code == 302
        assert self.post(stranger, "/signin/code", {"code": WRONG_CODE}).status_code == 200

    def debrief(self, token: str) -> None:
        self.now += DAY  # the task (09:00 the next day) has started
        self.signin_volunteer()
        self.signin_coordinator()
        form = {"outcome": "done", "note": MARKERS["debrief_note"]}
        done = self.post(self.vol, f"/tasks/{token}/debrief", form)
        assert done.status_code == 302, done.text

    def boards(self) -> None:
        for client in (self.coord, self.vol):
            for url in ("/", "/week", "/week?day=2026-03-03"):
                assert self._keep(client.get(url)).status_code == 200
        assert self._keep(self.coord.get("/retention")).status_code == 200

    def purge(self) -> None:
        self.now += 20 * DAY  # the debrief and instructions are past their period
        conn = self.app.extensions["casework_store"].conn()
        report = purges.purge_logged(conn, self.now, self.app.config["CASEWORK"])
        assert report is not None and report.counts["task_notes"] >= 1, report

    def lock_and_unlock(self) -> None:
        self.signin_coordinator()
        assert self.post(self.coord, "/lock", {}).status_code == 302
        assert self.app.extensions["casework_store"].sealed
        sealed = self._keep(self.coord.get("/"))
        token = csrf_token(sealed)
        for passphrase, status in ((WRONG_PASSPHRASE, 503), (PASSPHRASE, 302)):
            form = {"passphrase": passphrase, "csrf_token": token}
            assert self._keep(self.coord.post("/unlock", data=form)).status_code == status
        self.signin_coordinator()
        assert self._keep(self.coord.get("/")).status_code == 200
