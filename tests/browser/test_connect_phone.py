"""The connect-a-phone page in a real browser at phone width, and its printed copy."""

from __future__ import annotations

from conftest import sign_up_first_coordinator
from playwright.sync_api import expect


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
