"""axe-core over every page, in French, English and Spanish, at phone width, including
error states: any WCAG 2.2 A or AA violation fails.

axe-core is the pinned npm package of package.json (installed by ./scripts/test when node
is there, and on CI); its script is evaluated in each page by Playwright, never served.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import create_account
from playwright.sync_api import expect

AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LANGUAGES = ("fr", "en", "es")
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({id: v.id, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the accessibility test, but axe-core is not installed")
        pytest.skip("axe-core is not installed (npm ci): accessibility test skipped")
    return AXE.read_text(encoding="utf-8")


class Auditor:
    """Runs axe on the page as it is and keeps what it finds, by language and page."""

    def __init__(self, axe_source: str) -> None:
        self.axe_source, self.found, self.pages = axe_source, [], 0
        self.languages: set[str] = set()

    def check(self, page, label: str) -> None:
        if page.evaluate("typeof window.axe") == "undefined":
            page.evaluate(self.axe_source)
        self.pages += 1
        self.languages.add(page.locator("html").get_attribute("lang"))
        for violation in page.evaluate(RUN_AXE, TAGS):
            self.found.append((label, page.url, violation["id"], violation["nodes"]))

    def visit(self, page, base: str, path: str, label: str) -> None:
        page.goto(base + path)
        self.check(page, label)


def _world(server, coordinator, volunteer) -> dict:
    """A case, a task tomorrow the volunteer goes to, moved once (a notice to see)."""
    base = server.base
    create_account(coordinator, base, server.setup_path, "coord", coordinator=True)
    create_account(volunteer, base, server.volunteer_setup_path, "ana")
    coordinator.goto(base + "/cases/new")
    coordinator.get_by_label("Spanish").check()
    coordinator.get_by_role("button", name="Open the case").click()
    code = coordinator.locator("h1 .code").inner_text()
    coordinator.get_by_role("link", name="Add a task").click()
    tomorrow = datetime.now(ZoneInfo("America/Montreal")) + timedelta(days=1)
    coordinator.get_by_label("Date").fill(tomorrow.strftime("%Y-%m-%d"))
    coordinator.get_by_label("Start time").fill("10:00")
    coordinator.get_by_label("Place").fill("Palais de justice")
    coordinator.get_by_label("Urgent").check()
    coordinator.get_by_role("button", name="Add the task").click()
    task = coordinator.url.rsplit("/", 1)[1]
    volunteer.goto(f"{base}/tasks/{task}")
    volunteer.get_by_role("button", name="Sign me up").click()
    coordinator.goto(f"{base}/tasks/{task}/edit")
    coordinator.get_by_label("Start time").fill("09:00")
    coordinator.get_by_role("button", name="Save the changes").click()
    return {"code": code, "task": task}


COORDINATOR_PAGES = (
    "/",
    "/week",
    "/week?day=not-a-date",
    "/cases/new",
    "/cases/{code}",
    "/cases/{code}/edit",
    "/cases/{code}/close",
    "/cases/{code}/tasks/new",
    "/cases/find?code=AAA-AAAA-AAA",
    "/tasks/{task}",
    "/tasks/{task}/edit",
    "/tasks/{task}/cancel",
    "/people/",
    "/retention",
    "/lock",
    "/profile/",
    "/profile/password",
    "/-/no-such-page",
)
VOLUNTEER_PAGES = (
    "/",
    "/week",
    "/tasks/{task}",
    "/tasks/{task}?going=1",
    "/tasks/{task}/withdraw",
    "/profile/",
    "/profile/second-factor",
)
ANONYMOUS_PAGES = ("/signin", "/join", "/setup/no-such-link")


LOCALES = {"fr": "fr-CA", "en": "en-CA", "es": "es-MX"}


def choose_language(page, base: str, language: str) -> None:
    """Set the person's interface language on their profile (it wins over the browser)."""
    page.goto(base + "/profile/")
    form = page.locator("form", has=page.locator("#ui_language"))
    form.locator("#ui_language").select_option(language)
    form.locator("button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _error_states(audit: Auditor, page, base: str, world: dict, label: str) -> None:
    """Forms sent back with their errors shown."""
    page.goto(base + "/cases/new")
    page.locator("#context_note").fill("Courriel : jo@example.org")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".error").first).to_be_visible()
    audit.check(page, f"{label} case form error")
    page.goto(base + f"/cases/{world['code']}/tasks/new")
    page.locator("main form button[type=submit]").last.click()
    audit.check(page, f"{label} task form error")
    page.goto(base + "/profile/password")
    page.locator("main form button[type=submit]").last.click()
    audit.check(page, f"{label} password form error")


def _axe_sees_a_planted_violation(audit: Auditor, page, base: str) -> None:
    """The audit can fail: an image without a text alternative is found."""
    page.goto(base + "/")
    page.evaluate(audit.axe_source)
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x>')")
    assert "image-alt" in {v["id"] for v in page.evaluate(RUN_AXE, TAGS)}


def test_every_page_has_no_wcag_violation(live_server_with_volunteer, browser, axe_source):
    server, audit = live_server_with_volunteer, Auditor(axe_source)
    args = {
        "ignore_https_errors": True,
        "viewport": {"width": 360, "height": 740},
        "locale": "en-CA",
        "bypass_csp": True,  # lets the test's own axe script run; the pages are unchanged
    }
    coordinator, volunteer = (browser.new_context(**args).new_page() for _ in range(2))
    world = _world(server, coordinator, volunteer)
    _axe_sees_a_planted_violation(audit, coordinator, server.base)
    for language in LANGUAGES:
        for page in (coordinator, volunteer):
            choose_language(page, server.base, language)
        # Chromium sends the context's locale as Accept-Language: one context per language.
        anonymous = browser.new_context(**{**args, "locale": LOCALES[language]})
        for path in COORDINATOR_PAGES:
            audit.visit(coordinator, server.base, path.format(**world), f"{language} coordinator")
        for path in VOLUNTEER_PAGES:
            audit.visit(volunteer, server.base, path.format(**world), f"{language} volunteer")
        stranger = anonymous.new_page()
        for path in ANONYMOUS_PAGES:
            audit.visit(stranger, server.base, path, f"{language} anonymous")
        stranger.goto(server.base + "/signin")
        stranger.locator("#handle").fill("nobody")
        stranger.locator("main form button[type=submit]").last.click()
        audit.check(stranger, f"{language} sign-in error")
        anonymous.close()
        _error_states(audit, coordinator, server.base, world, language)
    assert audit.pages >= 3 * 30 and audit.languages == set(LANGUAGES)
    assert not audit.found, "\n".join(map(str, audit.found))
