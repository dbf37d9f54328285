"""The connect-a-phone page in a real browser at phone width, and its printed copy."""

from __future__ import annotations

import time

from helpers.instance import PASSWORD
from playwright.sync_api import expect

from casework.rules import totp


def sign_up_first_coordinator(page, live_server) -> None:
    page.goto(live_server.base + live_server.setup_path)
    page.get_by_label("Pseudonym").fill("first-coordinator")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    secret = totp.base32_to_secret(page.locator("code.secret").inner_text())
    page.get_by_label("Code from your app").fill(totp.code_at(secret, time.time() - 30))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="I have written them down").click()


def test_connect_a_phone_fits_a_phone_and_prints_without_the_menu(live_server, page, artifacts):
    sign_up_first_coordinator(page, live_server)
    page.goto(live_server.base + "/people/")
    page.get_by_role("link", name="Connect a phone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect a phone to casework")
    assert page.locator("img.qr-code").evaluate("img => img.naturalWidth") > 0
    expect(page.locator(".fingerprint code")).to_have_count(16)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
    page.screenshot(path=str(artifacts / "connect-360.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".no-print")).to_be_hidden()
    page.screenshot(path=str(artifacts / "connect-print.png"), full_page=True)
