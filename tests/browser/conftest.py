"""Browser tests: the real server over TLS, driven by Debian's Chromium through Playwright.

On CI (CI=true) Chromium must be there and these tests must run; elsewhere they skip
with a visible reason when it is missing.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.instance import PASSWORD
from helpers.served import free_port
from playwright.sync_api import expect

from casework.rules import totp

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# Without these, Chromium tries to reach Google's services at start (no network here).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)  # a real server and Chromium per test


@pytest.fixture(autouse=True)
def _needs_chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests, but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed at /usr/bin/chromium: browser tests skipped")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "ignore_https_errors": True,  # our self-signed certificate
        "viewport": {"width": 360, "height": 740},
        "locale": "en-CA",
    }


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# The sealed server's coordinator has a second factor already (tests compute its codes).
LAKE_TOTP_SECRET = bytes(range(20))


def enrol(page) -> bytes:
    """Read the key shown as text and confirm with the code an app would show."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    secret = totp.base32_to_secret(page.locator("code.secret").inner_text())
    page.get_by_label("Code from your app").fill(totp.code_at(secret, time.time() - 30))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    return secret


def create_account(page, base, path, handle, coordinator=False) -> bytes | None:
    """Open a setup link and create the account; a coordinator enrols a second factor
    (its secret is returned)."""
    from helpers.instance import PASSWORD

    page.goto(base + path)
    page.get_by_label("Pseudonym").fill(handle)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    secret = None
    if coordinator:  # coordinators set up their second factor before anything else
        secret = enrol(page)
        page.get_by_role("link", name="I have written them down").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {handle}")
    return secret


def sign_up_first_coordinator(page, live_server) -> bytes:
    """Create the first coordinator through the setup link, second factor included;
    returns their TOTP secret."""
    page.goto(live_server.base + live_server.setup_path)
    page.get_by_label("Pseudonym").fill("first-coordinator")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    secret = totp.base32_to_secret(page.locator("code.secret").inner_text())
    page.get_by_label("Code from your app").fill(totp.code_at(secret, time.time() - 30))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="I have written them down").click()
    return secret


class RunningServer:
    def __init__(self, process: subprocess.Popen, port: int, setup_path: str | None) -> None:
        self.process, self.port, self.setup_path = process, port, setup_path
        self.base = f"https://127.0.0.1:{port}"


def start_server(instance, port: int, *extra: str, stdin_text: str | None = None):
    """Start `casework serve` on 127.0.0.1; wait until it serves; return it and its output."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "casework", "--instance", str(instance), "serve"),
            *("--host", "127.0.0.1", "--port", str(port), *extra),
        ],
        stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if stdin_text is not None:
        process.stdin.write(stdin_text)
        process.stdin.close()
    output, deadline = "", time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"server exited early ({process.wait()}): {output}")
        output += line
        if "serving on" in line:
            break
    return process, output


def stop_server(process) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


@pytest.fixture
def live_server(instance):
    """`casework serve --init` as a separate process, TLS on, as ./scripts/run starts it."""
    from helpers.instance import PASSPHRASE

    port = free_port()
    process, output = start_server(
        instance, port, "--init", "--passphrase-stdin", stdin_text=f"{PASSPHRASE}\n{PASSPHRASE}\n"
    )
    found = re.search(r"(/setup/[\w-]+)", output)
    yield RunningServer(process, port, found.group(1) if found else None)
    stop_server(process)


@pytest.fixture
def sealed_server(instance):
    """`casework serve` with no passphrase source and no terminal: it starts sealed.

    The store and one coordinator ("lake", password PASSWORD) are made beforehand.
    """
    from helpers.accounts import stored_account
    from helpers.instance import CHEAP_KDF, PASSPHRASE

    from casework.store.db import connect
    from casework.vault.store import Store

    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    conn = connect(instance / "casework.db", key)
    stored_account(conn, "lake", "coordinator", 0, LAKE_TOTP_SECRET)
    conn.close()
    port = free_port()
    process, _ = start_server(instance, port)
    yield RunningServer(process, port, None)
    stop_server(process)


# Three coordinators of a sealed server, each with a key slot and a second factor.
TEAM_SECRETS = {
    "ash": bytes(range(1, 21)),
    "birch": bytes(range(2, 22)),
    "cedar": bytes(range(3, 23)),
}


@pytest.fixture
def sealed_team_server(instance):
    """`casework serve` started sealed over a store whose three coordinators each have
    their own key slot (made the way their first sign-in makes it)."""
    from helpers.accounts import stored_account
    from helpers.instance import CHEAP_KDF, PASSPHRASE, PASSWORD

    from casework.vault import slots
    from casework.vault.store import Store

    store = Store(instance)
    store.unlock(store.create(PASSPHRASE, CHEAP_KDF))
    try:
        made = [
            stored_account(store.conn(), h, "coordinator", 0, s) for h, s in TEAM_SECRETS.items()
        ]
        store.add_slots(
            [(slots.coordinator(user.handle, PASSWORD), user.id, None) for user in made], CHEAP_KDF
        )
    finally:
        store.lock()
    port = free_port()
    process, _ = start_server(instance, port)
    yield RunningServer(process, port, None)
    stop_server(process)


@pytest.fixture
def live_server_with_volunteer(instance):
    """Like live_server, but the store exists before the server starts, with two setup
    links made with the key: one for a coordinator, one for a volunteer."""
    from helpers.instance import CHEAP_KDF, PASSPHRASE

    from casework.store import db, invites
    from casework.vault.store import Store

    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    conn = db.connect(instance / "casework.db", key)
    try:
        now = int(time.time())
        links = {role: invites.create(conn, "setup", role, now, 24) for role in ROLES_TO_LINK}
    finally:
        conn.close()
    port = free_port()
    process, _ = start_server(instance, port, "--passphrase-stdin", stdin_text=f"{PASSPHRASE}\n")
    server = RunningServer(process, port, f"/setup/{links['coordinator']}")
    server.volunteer_setup_path = f"/setup/{links['volunteer']}"
    yield server
    stop_server(process)


ROLES_TO_LINK = ("coordinator", "volunteer")
