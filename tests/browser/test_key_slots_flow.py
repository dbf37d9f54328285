"""A sealed server unsealed by a coordinator's own sign-in; a coordinator who leaves is
deactivated (the key rotates), and after Lock now their sign-in no longer unseals."""

from __future__ import annotations

import time

from conftest import TEAM_SECRETS
from helpers.instance import PASSWORD
from playwright.sync_api import expect

from casework.rules import totp


def unseal_as(page, handle: str, offset: int = 0) -> None:
    page.get_by_label("Pseudonym").fill(handle)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code").fill(totp.code_at(TEAM_SECRETS[handle], time.time() + offset))
    page.get_by_role("button", name="Unlock and sign in").click()


def test_a_coordinator_unseals_removes_another_and_their_sign_in_stops_working(
    sealed_team_server, page, artifacts
):
    page.goto(sealed_team_server.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("casework is locked")
    page.screenshot(path=str(artifacts / "sealed-coordinator-360.png"), full_page=True)

    unseal_as(page, "birch")
    expect(page.get_by_text("casework is unlocked.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, birch")

    page.goto(sealed_team_server.base + "/people/")
    expect(page.get_by_text("can unlock the store").first).to_be_visible()
    page.get_by_role("link", name="cedar").click()
    page.get_by_role("link", name="Deactivate…").click()
    expect(page.get_by_text("the store key is changed at once")).to_be_visible()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("The store key was changed")).to_be_visible()
    page.screenshot(path=str(artifacts / "key-rotated-360.png"), full_page=True)

    page.get_by_role("link", name="Lock now").click()
    page.get_by_role("button", name="Lock now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("casework is locked")

    unseal_as(page, "cedar", offset=30)
    expect(page.get_by_text("do not open the store")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("casework is locked")

    unseal_as(page, "ash", offset=30)  # the others still can, nobody retyped anything
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, ash")
