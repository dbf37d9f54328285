"""Browser tests: the real server over TLS, driven by Debian's Chromium through Playwright.

On CI (CI=true) Chromium must be there and these tests must run; elsewhere they skip
with a visible reason when it is missing.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    def __init__(self, process: subprocess.Popen, port: int, setup_path: str | None) -> None:
        self.process, self.port, self.setup_path = process, port, setup_path
        self.base = f"https://127.0.0.1:{port}"


@pytest.fixture
def live_server(instance):
    """`casework serve --init` as a separate process, TLS on, as ./scripts/run starts it."""
    from support import PASSPHRASE

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "casework",
            "--instance",
            str(instance),
            "serve",
            "--init",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--passphrase-stdin",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.stdin.write(f"{PASSPHRASE}\n{PASSPHRASE}\n")
    process.stdin.close()
    setup_path, deadline = None, time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"server exited early ({process.wait()})")
        found = re.search(r"(/setup/[\w-]+)", line)
        setup_path = found.group(1) if found else setup_path
        if "serving on" in line:
            break
    server = RunningServer(process, port, setup_path)
    yield server
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


@pytest.fixture
def live_server_with_volunteer(instance):
    """Like live_server, but the store exists before the server starts, with two setup
    links made with the key: one for a coordinator, one for a volunteer (a test-only way
    to get a volunteer until invites exist)."""
    from support import CHEAP_KDF, PASSPHRASE

    from casework.store import Store, db, invites

    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    conn = db.connect(instance / "casework.db", key)
    try:
        now = int(time.time())
        links = {role: invites.create(conn, "setup", role, now, 24) for role in ROLES_TO_LINK}
    finally:
        conn.close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "casework", "--instance", str(instance), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--passphrase-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    process.stdin.write(f"{PASSPHRASE}\n")
    process.stdin.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"server exited early ({process.wait()})")
        if "serving on" in line:
            break
    server = RunningServer(process, port, f"/setup/{links['coordinator']}")
    server.volunteer_setup_path = f"/setup/{links['volunteer']}"
    yield server
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


ROLES_TO_LINK = ("coordinator", "volunteer")
