"""The real server started sealed: unlock, sign in, Lock now, and sealed again."""

from __future__ import annotations

import time

from conftest import LAKE_TOTP_SECRET
from helpers.instance import PASSPHRASE, PASSWORD
from playwright.sync_api import expect

from casework.rules import totp


def test_unlock_sign_in_lock_now_and_sealed_again(sealed_server, page, artifacts):
    page.goto(sealed_server.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("casework is locked")
    page.screenshot(path=str(artifacts / "sealed-360.png"), full_page=True)

    page.get_by_text("Use the recovery key or the operator passphrase").click()
    page.get_by_label("Recovery key or operator passphrase").fill("not the passphrase at all")
    page.get_by_role("button", name="Unlock", exact=True).click()
    expect(page.get_by_text("That recovery key or passphrase does not open")).to_be_visible()

    page.get_by_label("Recovery key or operator passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Unlock", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Pseudonym").fill("lake")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp.code_at(LAKE_TOTP_SECRET, time.time()))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, lake")

    page.get_by_role("link", name="Lock now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lock now?")
    page.screenshot(path=str(artifacts / "lock-confirm-360.png"), full_page=True)
    page.get_by_role("button", name="Lock now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("casework is locked")
    # The session ended with the lock: after unlocking again, sign-in is asked anew.
    page.get_by_text("Use the recovery key or the operator passphrase").click()
    page.get_by_label("Recovery key or operator passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Unlock", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto(sealed_server.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
