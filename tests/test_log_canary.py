"""SECURITY.md item 16, the log canary: markers in every free-text field, the passwords,
TOTP secrets and codes, invite codes, session ids and the store passphrase never reach
a log line or the console, in the test client (every logger at DEBUG, fd-level output)
nor in the real `casework serve` process (its whole output, with logging at DEBUG).

Error paths are where content leaks (exception messages quote input), so the workflows
include guard refusals, wrong passwords and codes, CSRF failures and a wrong passphrase;
and the failures that the framework or the server would log on their own: a session that
cannot be saved after the page was made (Flask's "Exception on <path>" line), connections
dropped before, during and after their answer.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import socket
import time

import pytest
from helpers.forms import csrf_token
from helpers.hostile import connect, tls_context
from helpers.instance import PASSPHRASE
from helpers.served import Served
from helpers.workflow import (
    COORD_PASSWORD,
    MARKERS,
    VOL_PASSWORD,
    WRONG_CODE,
    WRONG_INVITE,
    WRONG_PASSPHRASE,
    WRONG_PASSWORD,
    Workflow,
)

from casework.rules import totp


def leaks(output: str, secrets: list[str], codes: list[str]) -> list[str]:
    """The secrets found in ``output``; six-digit codes only as whole numbers."""
    found = [secret for secret in secrets if secret and secret.lower() in output.lower()]
    found += [code for code in codes if re.search(rf"(?<!\d){code}(?!\d)", output)]
    return found


def test_the_canary_check_finds_a_leak():
    assert leaks("INFO x saffroninstructionsmarker", [MARKERS["instructions"]], []) != []
    assert leaks("code 123456 used", [], ["123456"]) == ["123456"]
    assert leaks("at 1772463600", [], ["772463"]) == []


def test_workflow_in_process_logs_no_content_or_secret(app, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):  # libraries' loggers included
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    flow = Workflow(app).run()
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    # The capture works: the lock, unlock and purge said what they did.
    assert "locked (manual)" in logged and "unlocked" in logged and "purge done" in logged
    assert len(flow.secrets) > 30 and len(flow.codes) >= 4
    assert leaks(logged, flow.secrets, flow.codes) == []


def test_a_failure_while_saving_the_session_logs_no_path_code_or_traceback(team, caplog, capfd):
    team.app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handlers answer
    coordinator = team.clients["coord"]
    code = team.open_case(coordinator)
    page = f"/cases/{code}/tasks/new"
    token = csrf_token(coordinator.get(page))
    # The task is saved, then saving the session (its flash message) fails.
    team.conn.execute(
        "CREATE TEMP TRIGGER no_session_save BEFORE UPDATE ON sessions"
        " BEGIN SELECT RAISE(ABORT, 'tamarillosessionmarker'); END"
    )
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    fields = {**team.task_fields(instructions=MARKERS["instructions"]), "csrf_token": token}
    response = coordinator.post(page, data=fields)
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert response.status_code == 500 and "Traceback" not in response.text
    assert "may have been saved" in response.text  # it was: "nothing was saved" is untrue
    assert "unhandled IntegrityError at" in logged  # the type and place, counted
    task = team.conn.execute("SELECT token FROM tasks").fetchone()[0]
    secrets = [code, task, page, "/cases/", "tamarillosessionmarker", MARKERS["instructions"]]
    assert leaks(logged, secrets, []) == []
    assert "Traceback" not in logged and "Exception on" not in logged
    assert logged.count("unhandled") == 1  # the error page's own save is not tried again


class LiveFlow:
    """The workflow against the real server, on the real clock; records its secrets."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.coord, self.vol = served.client(), served.client()
        self.secrets = [PASSPHRASE, COORD_PASSWORD, VOL_PASSWORD, WRONG_PASSWORD, WRONG_CODE,
                        WRONG_INVITE, WRONG_PASSPHRASE, *MARKERS.values()]  # fmt: skip
        self.codes: list[str] = []
        self.ports: list[int] = []  # the dropped connections' own ports

    def cookies(self) -> None:
        for client in (self.coord, self.vol):
            self.secrets += list(client.cookies.values())

    def run(self, setup_path: str) -> None:
        handle = MARKERS["coord_handle"]
        form = {"handle": handle, "password": COORD_PASSWORD, "confirm": COORD_PASSWORD}
        assert self.coord.post(setup_path, form)[0] == 302
        page = self.coord.get("/profile/second-factor")[1]
        shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)
        self.secret = totp.base32_to_secret(shown)
        self.secrets += [shown, shown.replace(" ", ""), self.secret.hex()]
        assert self.coord.post("/profile/second-factor", {"code": WRONG_CODE})[0] == 200
        done = self.coord.post("/profile/second-factor", {"code": self.code(-30)})[1]
        self.secrets += re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done)
        self.cookies()
        self.invite()
        self.case_and_task()
        self.lock_and_unlock()
        self.error_paths()
        self.dropped_connections()

    def code(self, offset: int) -> str:
        code = totp.code_at(self.secret, time.time() + offset)
        self.codes.append(code)
        return code

    def invite(self) -> None:
        shown = self.coord.post("/people/invite", {"role": "volunteer"}, "/people/")[1]
        code = re.search(r'<code id="invite-code">([^<]+)</code>', shown).group(1)
        token = re.search(r'<code id="invite-link">[^<]*/join/([^<]+)</code>', shown).group(1)
        self.secrets += [code, token]
        assert self.vol.post("/join", {"code": WRONG_INVITE})[0] == 200
        assert self.vol.post("/join", {"code": code})[0] == 302
        form = {"handle": MARKERS["vol_handle"], "password": VOL_PASSWORD, "confirm": VOL_PASSWORD}
        assert self.vol.post("/join/finish", form)[0] == 302
        self.cookies()

    def case_and_task(self) -> None:
        page = self.coord.get("/cases/new")[1]
        coordinator = re.search(r'<option selected value="(\d+)"|value="(\d+)" selected', page)
        chosen = next(group for group in coordinator.groups() if group)
        form = {"context_note": MARKERS["context_note"], "coordinator": chosen}
        status, _ = self.coord.post("/cases/new", form)
        assert status == 302
        self.case = self._location()
        day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).date().isoformat()
        task = {"kind": "hearing", "day": day, "start": "09:00", "duration": "120",
                "place": MARKERS["place"], "meeting_point": MARKERS["meeting_point"],
                "people_needed": "2", "languages": "es",
                "instructions": MARKERS["instructions"]}  # fmt: skip
        assert self.coord.post(f"/cases/{self.case}/tasks/new", task)[0] == 302
        self.task = self._location()
        self.secrets += [self.case, self.task]
        page = f"/tasks/{self.task}"
        assert self.vol.post(f"{page}/signup", {}, page)[0] == 302
        assert MARKERS["instructions"] in self.vol.get(page)[1]
        self.bad_task = {**task, "instructions": MARKERS["refused_note"] + " 514-555-0199"}

    def _location(self) -> str:
        return self.coord.location.rsplit("/", 1)[1]

    def error_paths(self) -> None:
        """Last, as they fill the per-address throttle (5 failures a minute): 429 is fine."""
        refused = {"context_note": MARKERS["refused_note"] + " call 514-555-0199"}
        assert self.coord.post(f"/cases/{self.case}/edit", refused)[0] == 200
        assert self.coord.post(f"/cases/{self.case}/tasks/new", self.bad_task)[0] == 200
        no_csrf = {"context_note": MARKERS["csrf_note"]}
        assert self.coord.post("/cases/new", no_csrf, csrf=False)[0] == 400
        page = f"/tasks/{self.task}"
        self.coord.post(f"{page}/assign", {"volunteer": MARKERS["unknown_handle"]}, page)
        wrong = {"current": WRONG_PASSWORD, "password": "x" * 20, "confirm": "x" * 20}
        assert self.vol.post("/profile/password", wrong)[0] == 200
        stranger = self.served.client()
        form = {"handle": MARKERS["coord_handle"], "password": COORD_PASSWORD}
        assert stranger.post("/signin", form)[0] == 302
        assert stranger.post("/signin/code", {"code": WRONG_CODE})[0] == 200
        for handle in (MARKERS["coord_handle"], MARKERS["unknown_handle"]):
            form = {"handle": handle, "password": WRONG_PASSWORD}
            assert stranger.post("/signin", form)[0] in (200, 429)
        stranger.close()

    def dropped_connections(self) -> None:
        """Signed-in requests for the case's pages, the connection reset before the
        request ends, before its answer is read, or half-way through reading it."""
        cookie = "; ".join(f"{k}={v}" for k, v in self.coord.cookies.items())
        request = (f"GET /cases/{self.case} HTTP/1.1\r\nHost: localhost\r\n"
                   f"Cookie: {cookie}\r\n\r\n").encode()  # fmt: skip
        for cut, read in ((len(request) // 2, 0), (len(request), 0), (len(request), 200)):
            sock = tls_context().wrap_socket(connect(self.served.port, "127.0.0.1"))
            self.ports.append(sock.getsockname()[1])
            sock.sendall(request[:cut])
            if read:
                sock.recv(read)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            sock.close()  # a reset
        time.sleep(0.5)
        assert self.coord.get(f"/cases/{self.case}")[0] == 200

    def lock_and_unlock(self) -> None:
        assert self.coord.post("/lock", {})[0] == 302
        assert self.coord.post("/unlock", {"passphrase": WRONG_PASSPHRASE}, "/")[0] == 503
        assert self.coord.post("/unlock", {"passphrase": PASSPHRASE}, "/")[0] == 302
        form = {"handle": MARKERS["coord_handle"], "password": COORD_PASSWORD}
        assert self.coord.post("/signin", form)[0] == 302
        assert self.coord.post("/signin/code", {"code": self.code(0)})[0] == 302
        assert self.coord.get("/")[0] == 200
        self.cookies()
        form = {"handle": MARKERS["vol_handle"], "password": VOL_PASSWORD}
        assert self.vol.post("/signin", form)[0] == 302


@pytest.mark.slow
def test_workflow_on_the_real_server_prints_no_content_or_secret(instance):
    served = Served(instance, "--init", "--passphrase-stdin", stdin_text=f"{PASSPHRASE}\n" * 2)
    flow = LiveFlow(served)
    try:
        setup_path = re.search(r"(/setup/[\w-]+)", served.output).group(1)
        flow.run(setup_path)
    finally:
        for client in (flow.coord, flow.vol):
            client.close()
        output = served.stop()
    # The first setup link is printed on purpose, for the person who starts the server.
    assert "INFO casework" in output and "locked (manual)" in output
    assert len(flow.secrets) > 30
    assert leaks(output, flow.secrets, flow.codes) == [], output
    assert "Traceback" not in output
    assert flow.ports and not any(re.search(rf"\b{port}\b", output) for port in flow.ports)
