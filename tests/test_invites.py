"""Invites and password resets without e-mail: link or code, single use, race-safe."""

from __future__ import annotations

import re
import threading

import pytest
from click.testing import CliRunner
from helpers.forms import english, post
from helpers.instance import PASSPHRASE, PASSWORD

from casework import cli as cli_module
from casework.store import db, invites, joining, users

NEW = "a fresh long password here"


@pytest.fixture
def coordinator(accounts, client):
    accounts.create("ash")
    accounts.signin("ash")
    return english(client)


def make_invite(client, role: str = "volunteer") -> tuple[str, str]:
    page = post(client, "/people/invite", {"role": role}, page="/people/")
    assert page.status_code == 200
    link = re.search(r'<code id="invite-link">http://localhost(/join/[\w-]+)</code>', page.text)
    code = re.search(r'<code id="invite-code">([A-Z0-9-]+)</code>', page.text)
    return link.group(1), code.group(1)


def accept(app, path: str, handle: str = "fern"):
    client = english(app.test_client())
    client.get(path)  # the link or /join puts the invite in this browser's session
    form = {"handle": handle, "password": PASSWORD, "confirm": PASSWORD}
    return client, post(client, "/join/finish", form)


def test_an_invite_link_creates_a_volunteer_who_is_signed_in(coordinator, app, conn):
    path, _code = make_invite(coordinator)
    client, response = accept(app, path)
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    row = conn.execute("SELECT role FROM users WHERE handle = 'fern'").fetchone()
    assert row["role"] == "volunteer"
    stored = conn.execute("SELECT token_hash, code_hash FROM invites WHERE purpose = 'invite'")
    token, code = stored.fetchone()
    assert path.rsplit("/", 1)[1] != token and _code != code  # only hashes are kept


def test_a_code_read_aloud_works_at_join(coordinator, app):
    _path, code = make_invite(coordinator)
    client = english(app.test_client())
    typed = code.lower().replace("-", " ")
    assert post(client, "/join", {"code": typed}).headers["Location"] == "/join/finish"
    form = {"handle": "fern", "password": PASSWORD, "confirm": PASSWORD}
    assert post(client, "/join/finish", form).status_code == 302


@pytest.mark.parametrize("typed", ["", "K7M-4QX2-P9R", "x" * 64, "<script>"])
def test_wrong_codes_get_a_clear_message(app, typed):
    page = post(english(app.test_client()), "/join", {"code": typed})
    assert page.status_code == 200
    assert "This code is not valid" in page.text or "This field is required" in page.text


def test_a_coordinator_invite_leads_to_enrolment(coordinator, app):
    path, _code = make_invite(coordinator, "coordinator")
    client, response = accept(app, path, "birch")
    assert response.headers["Location"] == "/profile/second-factor"
    assert client.get("/people/").headers["Location"] == "/profile/second-factor"


def test_a_used_invite_gets_a_clear_page(coordinator, app, conn):
    path, code = make_invite(coordinator)
    accept(app, path)
    client = english(app.test_client())
    response = client.get(path)
    assert response.status_code == 404
    assert client.get("/join/finish").status_code == 404
    assert "This link cannot be used" in response.text
    assert "This code is not valid" in post(client, "/join", {"code": code}).text
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 2


def test_an_expired_invite_gets_a_clear_page(coordinator, app, conn):
    path, _code = make_invite(coordinator)
    app.config["CASEWORK"]["lock.idle_hours"] = 0  # 72 idle hours would lock the store first
    later = app.config["CASEWORK_CLOCK"]() + 72 * 3600 + 1
    app.config["CASEWORK_CLOCK"] = lambda: later
    response = english(app.test_client()).get(path)
    assert response.status_code == 404
    assert "It has expired" in response.text


def test_invite_page_without_csrf_creates_nothing(coordinator, conn):
    assert coordinator.post("/people/invite", data={"role": "volunteer"}).status_code == 400
    assert conn.execute("SELECT count(*) FROM invites WHERE purpose = 'invite'").fetchone()[0] == 0


def test_an_invite_used_twice_at_the_same_moment_makes_one_account(app, instance, store_key):
    conn = app.extensions["casework_store"].conn()
    link = invites.create_with_code(conn, "invite", 1000, 72, role="volunteer")
    row = invites.find_usable_link(conn, link.token, 1000)
    barrier, results = threading.Barrier(2), []

    def use(handle: str) -> None:
        own = db.connect(instance / "casework.db", bytes(store_key))
        try:
            barrier.wait()
            joining.accept(own, row, handle, "hash", 1001, "invite.used")
            results.append("won")
        except joining.LinkUsed:
            results.append("lost")
        finally:
            own.close()

    threads = [threading.Thread(target=use, args=(name,)) for name in ("fern", "moss")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["lost", "won"]
    assert users.count(conn) == 1


def test_a_reset_link_sets_a_new_password_and_ends_sessions(coordinator, accounts, app, conn):
    fern = accounts.create("fern", "volunteer")
    phone = app.test_client()
    accounts.signin("fern", client=phone)
    page = post(coordinator, f"/people/{fern.public_id}/password-link", page="/people/")
    assert "Password reset link" in page.text
    path = re.search(r'<code id="invite-link">http://localhost(/join/[\w-]+)</code>', page.text)
    client = english(app.test_client())
    client.get(path.group(1))
    weak = post(client, "/join/finish", {"password": "fern-password-x", "confirm": "x"})
    assert weak.status_code == 200  # contains the handle, and differs: nothing saved
    done = post(client, "/join/finish", {"password": NEW, "confirm": NEW})
    assert done.headers["Location"] == "/signin"
    assert phone.get("/").status_code == 302
    assert accounts.signin("fern", app.test_client(), password=NEW).status_code == 302
    assert english(app.test_client()).get(path.group(1)).status_code == 404
    actions = {row[0] for row in conn.execute("SELECT action FROM audit_events")}
    assert {"password_reset.created", "password.reset"} <= actions


def test_invite_command_prints_a_link_and_a_code_that_work(app, instance, conn):
    result = CliRunner().invoke(
        cli_module.cli,
        ["--instance", str(instance), "invite", "--role", "volunteer", "--passphrase-stdin"],
        input=PASSPHRASE + "\n",
    )
    assert result.exit_code == 0, result.output
    path = re.search(r"https://\S+(/join/[\w-]{20,})", result.output).group(1)
    code = re.search(r"Code:\s+([A-Z0-9]{3}-[A-Z0-9]{4}-[A-Z0-9]{3})", result.output).group(1)
    assert english(app.test_client()).get(path).headers["Location"] == "/join/finish"
    client = english(app.test_client())
    assert post(client, "/join", {"code": code}).headers["Location"] == "/join/finish"


def test_invite_command_with_a_wrong_passphrase_fails_cleanly(app, instance):
    result = CliRunner().invoke(
        cli_module.cli,
        ["--instance", str(instance), "invite", "--role", "volunteer", "--passphrase-stdin"],
        input="not the passphrase at all\n",
    )
    assert result.exit_code == 1
    assert "does not open this store" in result.output
