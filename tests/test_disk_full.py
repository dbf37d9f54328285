"""SECURITY.md item 22: a full disk is named as such, to people, coordinators, the log and
the operator, and nothing is lost.

Two ways to fill it: SQLite's own SQLITE_FULL, reached by capping the page count of the
request thread's connection (always runs), and a real tmpfs filled to its last byte
(when this machine lets the test mount one; skipped with the reason otherwise).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.accounts import Accounts, Team
from helpers.forms import csrf_token, post
from helpers.instance import CHEAP_CONFIG, CHEAP_KDF, PASSPHRASE

from casework import create_app
from casework.cli import cli
from casework.store import db
from casework.vault import control
from casework.vault.store import Store
from casework.web import errors, lifecycle

DISK_FULL_EN = "The server's disk is full"
NOTHING_SAVED_EN = "Nothing was saved: tell a coordinator."
BOARD_WARNING_EN = "The server's disk is full: changes are being refused"


def fill_pages(conn) -> None:
    """Let the database grow no more: the next write needing a page gets SQLITE_FULL."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def add_tasks_until_refused(team, code: str, limit: int = 400):
    """Add tasks (long instructions) until one is refused; the tokens kept, the refusal."""
    kept, page = [], f"/cases/{code}/tasks/new"
    coordinator = team.clients["coord"]
    for number in range(limit):
        fields = team.task_fields(instructions=f"step {number} " + "x" * 900)
        response = post(coordinator, page, fields, page=page)
        if response.status_code != 302:
            return kept, response
        kept.append(response.headers["Location"].rsplit("/", 1)[1])
    raise AssertionError("the store never filled up")


def test_sqlite_full_is_a_clear_page_a_board_warning_and_a_log_line(team, caplog):
    code = team.open_case(team.clients["coord"])
    before = team.count("tasks")
    fill_pages(team.conn)
    caplog.set_level(logging.DEBUG)
    kept, refused = add_tasks_until_refused(team, code)
    assert refused.status_code == 507
    assert DISK_FULL_EN in refused.text and NOTHING_SAVED_EN in refused.text
    assert "Traceback" not in refused.text
    # Nothing lost, nothing half-saved: every acknowledged task is there, the refused is not.
    assert team.count("tasks") == before + len(kept)
    assert "disk full" in caplog.text
    assert (
        code not in caplog.text and "/cases/" not in caplog.text and "Traceback" not in caplog.text
    )
    board = team.clients["coord"].get("/")
    assert board.status_code == 200 and BOARD_WARNING_EN in board.text
    team.conn.execute("PRAGMA max_page_count = 1073741823")
    assert db.integrity_problems(team.conn) == []
    team.add_task(team.clients["coord"], code)  # space again: writes go through


def test_a_full_disk_page_is_in_the_persons_language(team):
    code = team.open_case(team.clients["coord"])
    team.clients["coord"].environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    fill_pages(team.conn)
    _kept, refused = add_tasks_until_refused(team, code)
    assert refused.status_code == 507
    assert "Le disque du serveur est plein" in refused.text


def test_a_volunteer_reading_on_a_full_disk_still_gets_the_page(team):
    volunteer = team.person("river")
    fill_pages(team.conn)
    team.advance(120)  # past the "last seen" resolution: the refresh must write
    assert volunteer.get("/").status_code == 200


def test_a_lock_that_could_not_end_the_sessions_still_seals_and_says_so(team):
    # The sessions cannot be deleted on this connection (the one the lock uses here).
    team.conn.execute(
        "CREATE TEMP TRIGGER keep_sessions BEFORE DELETE ON sessions"
        " BEGIN SELECT RAISE(ABORT, 'cannot write'); END"
    )
    answer = lifecycle.lock_answer(team.app)
    assert answer == "locked; sessions not ended: IntegrityError"
    assert team.app.extensions["casework_store"].sealed


# --- A real full file system -------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=12m,mode=0700", "tmpfs", str(mount)],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {type(exc).__name__}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=10)


def fill_disk(folder: Path) -> Path:
    """Write a file until the file system has no byte left."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    with pytest.raises(OSError) as raised:
        (folder / "one-more").write_bytes(b"x")
    assert raised.value.errno == errno.ENOSPC
    (folder / "one-more").unlink(missing_ok=True)
    return filler


@pytest.fixture
def full_disk_app(small_disk: Path):
    instance = small_disk / "instance"
    instance.mkdir()
    (instance / "config.toml").write_text(CHEAP_CONFIG)
    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    app = create_app(instance, key=bytearray(key), tls=False, testing=True)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: errors reach the handlers
    yield app, instance
    app.extensions["casework_store"].lock()


def test_a_filled_file_system_refuses_clearly_and_loses_nothing(full_disk_app, team_on, run_on):
    app, instance = full_disk_app
    team = team_on(app)
    code = team.open_case(team.clients["coord"])
    kept = [team.add_task(team.clients["coord"], code) for _ in range(3)]
    db.checkpoint(team.conn)  # an empty WAL: the next write must find new space
    filler = fill_disk(instance.parent)

    refused = post(team.clients["coord"], "/cases/new", team.case_fields(), page="/cases/new")
    assert refused.status_code == 507 and NOTHING_SAVED_EN in refused.text
    assert BOARD_WARNING_EN in team.clients["coord"].get("/").text

    backup = run_on(instance, "backup", str(instance.parent / "copy.backup"), "--passphrase-stdin",
                    stdin=f"{PASSPHRASE}\n{PASSPHRASE} backup\n{PASSPHRASE} backup\n")  # fmt: skip
    assert backup.exit_code == 1 and "Traceback" not in backup.output
    assert "is full: no backup was written" in backup.output
    assert sorted(p.name for p in instance.parent.iterdir()) == ["filler", "instance"]
    purge = run_on(instance, "purge", "--passphrase-stdin", stdin=f"{PASSPHRASE}\n")
    assert purge.exit_code == 1 and "Traceback" not in purge.output
    assert "nothing was deleted: the disk is full" in purge.output

    answer = lifecycle.lock_answer(app)
    assert answer == "locked; sessions not ended: disk full"  # and sealed all the same
    assert app.extensions["casework_store"].sealed

    filler.unlink()  # space again: everything acknowledged is there, the store is sound
    conn = db.connect(instance / "casework.db", Store(instance).key_for(PASSPHRASE))
    try:
        assert db.integrity_problems(conn) == []
        tokens = {row[0] for row in conn.execute("SELECT token FROM tasks")}
        assert set(kept) <= tokens
    finally:
        conn.close()


@pytest.fixture
def team_on():
    """A signed-in English coordinator on ``app`` (the full-disk one, not the default)."""

    def make(app):
        team = Team(app, Accounts(app, app.test_client()))
        team.coord = team.person("coord", "coordinator")
        return team

    return make


@pytest.fixture
def run_on():
    def invoke(instance: Path, *args: str, stdin: str | None = None):
        return CliRunner().invoke(cli, ["--instance", str(instance), *args], input=stdin)

    return invoke


# --- saving the session on a full disk ------------------------------------------------


def refuse_session_saves(conn, message: str = "database or disk is full") -> None:
    """Every later save of a stored session fails on this connection, with ``message``."""
    conn.execute(
        "CREATE TEMP TRIGGER refuse_session_saves BEFORE UPDATE ON sessions"
        f" BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def test_a_page_read_while_last_seen_cannot_be_saved_is_served_and_counted(team, caplog):
    volunteer = team.person("river")
    team.now += 120  # past the "last seen" resolution: the refresh must write
    refuse_session_saves(team.conn)
    caplog.set_level(logging.INFO)
    assert volunteer.get("/").status_code == 200
    assert errors.disk_alarm(team.app).refused == 1
    assert "disk full: a write was refused (1 so far)" in caplog.text


def test_a_read_that_shows_a_message_once_is_served_on_a_full_disk(team):
    coordinator = team.clients["coord"]
    code = team.open_case(coordinator)  # its page will say, once, that the case is open
    refuse_session_saves(team.conn)
    page = coordinator.get(f"/cases/{code}")  # the message is taken out of the session
    assert page.status_code == 200 and f"Case {code} is open." in page.text
    assert errors.disk_alarm(team.app).refused == 1


def test_a_form_refused_on_a_full_disk_when_only_last_seen_would_be_saved(team):
    volunteer = team.person("river")
    token = csrf_token(volunteer.get("/"))
    team.now += 120
    refuse_session_saves(team.conn)
    # Nothing to save but the time last seen: the answer is the form's own (no such task).
    response = volunteer.post("/notices/no-such-task-token-here/seen", data={"csrf_token": token})
    assert response.status_code == 404
    assert errors.disk_alarm(team.app).refused == 1


def test_a_change_whose_session_cannot_be_saved_says_it_may_be_saved(team):
    team.app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handlers answer
    coordinator = team.clients["coord"]
    code = team.open_case(coordinator)
    refuse_session_saves(team.conn)
    page = f"/cases/{code}/tasks/new"
    response = post(coordinator, page, team.task_fields(), page=page)
    assert response.status_code == 507
    # The task was stored before the session's save failed: "nothing was saved" is untrue.
    assert "Your change may have been saved, not all of it" in response.text
    assert team.count("tasks") == 1


def test_a_session_that_cannot_be_saved_for_another_reason_is_no_disk_alarm(team):
    team.app.config["PROPAGATE_EXCEPTIONS"] = False
    volunteer = team.person("river")
    team.now += 120
    refuse_session_saves(team.conn, "cannot write")
    response = volunteer.get("/")
    assert response.status_code == 500 and "Something went wrong" in response.text
    assert errors.disk_alarm(team.app).refused == 0


# --- an unlock on a full disk ----------------------------------------------------------


def test_an_unlock_that_cannot_end_the_old_sessions_stays_sealed_and_says_why(
    app, accounts, instance, store_key, caplog
):
    store = app.extensions["casework_store"]
    accounts.create("river", "volunteer")
    with db.transaction(store.conn()):  # every session delete fails as on a full disk
        store.conn().execute(
            "CREATE TRIGGER no_room BEFORE DELETE ON sessions"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    assert lifecycle.lock_answer(app) == "locked; sessions not ended: disk full"
    caplog.set_level(logging.INFO)
    outcome = lifecycle.unlock_with_passphrase(app, PASSPHRASE, "192.0.2.1")
    # A session from before the lock must not outlive it: the store stays sealed.
    assert outcome.problem == "disk full" and lifecycle.unlock_answer(outcome) == "disk full"
    assert store.sealed
    assert "unlock refused: disk full (the store stays sealed)" in caplog.text
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = post(client, "/unlock", {"passphrase": PASSPHRASE}, page="/")
    assert page.status_code == 507 and "The server&#39;s disk is full: casework stays locked" in (
        page.text
    )
    # Room again: the same unlock opens the store and ends the sessions from before.
    direct = db.connect(instance / "casework.db", store_key)
    try:
        direct.execute("DROP TRIGGER no_room")
    finally:
        direct.close()
    assert lifecycle.unlock_with_passphrase(app, PASSPHRASE, "192.0.2.1").problem is None
    assert store.conn().execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("C.UTF-8", "the server's disk is full: the store stays sealed"),
        ("fr_CA.UTF-8", "le disque du serveur est plein"),
        ("es_MX", "el disco del servidor está lleno"),
    ],
)
def test_casework_unlock_on_a_full_disk_says_so(run, monkeypatch, language, said):
    monkeypatch.setattr(control, "send", lambda *_args: "disk full")
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", language)
    result = run("unlock", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.exit_code == 1 and said in result.output.lower(), result.output
