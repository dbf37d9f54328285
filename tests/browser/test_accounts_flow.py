"""A coordinator enrols TOTP, signs in with it and invites a volunteer who joins."""

from __future__ import annotations

import time

from conftest import enrol
from helpers.instance import PASSWORD
from playwright.sync_api import expect

from casework.rules import totp


def test_coordinator_enrols_signs_in_with_a_code_and_invites_a_volunteer(
    live_server, page, browser, artifacts
):
    page.goto(live_server.base + live_server.setup_path)
    page.get_by_label("Pseudonym").fill("coord-one")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    page.screenshot(path=str(artifacts / "enrol-360.png"), full_page=True)
    secret = enrol(page)
    assert page.locator(".recovery-codes li").count() == 10
    page.screenshot(path=str(artifacts / "recovery-codes-360.png"), full_page=True)
    page.get_by_role("link", name="I have written them down").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, coord-one")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Pseudonym").fill("coord-one")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step")
    page.screenshot(path=str(artifacts / "signin-code-360.png"), full_page=True)
    page.get_by_label("Code").fill(totp.code_at(secret, time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, coord-one")

    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Role").select_option("volunteer")
    page.get_by_role("button", name="Create an invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation")
    page.screenshot(path=str(artifacts / "invite-360.png"), full_page=True)
    code = page.locator("#invite-code").inner_text()
    link = page.locator("#invite-link").inner_text()
    assert link.startswith(live_server.base + "/join/")

    volunteer = browser.new_context(
        ignore_https_errors=True, viewport={"width": 360, "height": 740}, locale="en-CA"
    )
    other = volunteer.new_page()
    other.goto(live_server.base + "/join")
    other.get_by_label("Invitation code").fill(code.lower())
    other.get_by_role("button", name="Continue").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Create your account")
    other.get_by_label("Pseudonym").fill("fern")
    other.get_by_label("Password", exact=True).fill(PASSWORD)
    other.get_by_label("Password again").fill(PASSWORD)
    other.get_by_role("button", name="Create the account").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Hello, fern")
    other.get_by_role("button", name="Sign out").click()
    other.get_by_label("Pseudonym").fill("fern")
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Hello, fern")
    other.get_by_role("link", name="fern").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Your profile")
    other.get_by_label("Kreyòl ayisyen").check()
    other.screenshot(path=str(artifacts / "profile-360.png"), full_page=True)
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_text("Your profile is saved.")).to_be_visible()
    volunteer.close()

    # The link was single use: the code now gets a clear refusal.
    page.goto(live_server.base + "/join")
    page.get_by_label("Invitation code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("This code is not valid")).to_be_visible()
