"""The real server over TLS: a coordinator creates the first account, signs in and out."""

from __future__ import annotations

import time

from conftest import sign_up_first_coordinator
from helpers.instance import PASSWORD
from playwright.sync_api import expect

from casework.rules import totp


def test_first_coordinator_signs_in_and_reaches_home(live_server, page, artifacts):
    assert live_server.setup_path, "serve --init printed no setup link"
    secret = sign_up_first_coordinator(page, live_server)  # second factor first, as required
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, first-coordinator")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Pseudonym").fill("first-coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp.code_at(secret, time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, first-coordinator")
    page.screenshot(path=str(artifacts / "home-360.png"), full_page=True)

    # The setup link is single use.
    page.goto(live_server.base + live_server.setup_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
