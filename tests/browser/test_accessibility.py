"""axe-core over every page, in French, English and Spanish, at phone width, including
error states: any WCAG 2.2 A or AA violation fails.

axe-core is the pinned npm package of package.json (installed by ./scripts/test when node
is there, and on CI); its script is evaluated in each page by Playwright, never served.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import TEAM_SECRETS, create_account
from helpers.instance import PASSWORD
from playwright.sync_api import expect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from casework import create_app

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
        self.paths: set[str] = set()  # where the audited pages were, after any redirect

    def check(self, page, label: str) -> None:
        if page.evaluate("typeof window.axe") == "undefined":
            page.evaluate(self.axe_source)
        self.pages += 1
        self.paths.add(urlsplit(page.url).path)
        self.languages.add(page.locator("html").get_attribute("lang"))
        for violation in page.evaluate(RUN_AXE, TAGS):
            self.found.append((label, page.url, violation["id"], violation["nodes"]))

    def visit(self, page, base: str, path: str, label: str) -> None:
        page.goto(base + path)
        self.check(page, label)


def _add_task(coordinator, base: str, code: str, starts: datetime) -> str:
    coordinator.goto(f"{base}/cases/{code}/tasks/new")
    coordinator.get_by_label("Date").fill(starts.strftime("%Y-%m-%d"))
    coordinator.get_by_label("Start time").fill(starts.strftime("%H:%M"))
    coordinator.get_by_label("Place").fill("Palais de justice")
    coordinator.get_by_label("Urgent").check()
    coordinator.get_by_role("button", name="Add the task").click()
    return coordinator.url.rsplit("/", 1)[1]


def _world(server, coordinator, volunteer) -> dict:
    """A case, a task tomorrow the volunteer goes to, moved once (a notice to see), and a
    task the volunteer goes to that starts in a minute or two (its debrief, once started:
    the server's clock is real, as in test_core_flow)."""
    base = server.base
    create_account(coordinator, base, server.setup_path, "coord", coordinator=True)
    create_account(volunteer, base, server.volunteer_setup_path, "ana")
    coordinator.goto(base + "/cases/new")
    coordinator.get_by_label("Spanish").check()
    coordinator.get_by_role("button", name="Open the case").click()
    code = coordinator.locator("h1 .code").inner_text()
    zone = ZoneInfo("America/Montreal")
    tomorrow = datetime.now(zone) + timedelta(days=1)
    task = _add_task(coordinator, base, code, tomorrow.replace(hour=10, minute=0))
    soon = (datetime.now(zone) + timedelta(seconds=20)).replace(second=0) + timedelta(minutes=1)
    started = _add_task(coordinator, base, code, soon)
    for token in (task, started):
        volunteer.goto(f"{base}/tasks/{token}")
        volunteer.get_by_role("button", name="Sign me up").click()
    coordinator.goto(f"{base}/tasks/{task}/edit")
    coordinator.get_by_label("Start time").fill("09:00")
    coordinator.get_by_role("button", name="Save the changes").click()
    coordinator.goto(base + "/people/")
    href = coordinator.get_by_role("link", name="ana", exact=True).get_attribute("href")
    return {
        "code": code,
        "task": task,
        "started": started,
        "starts": soon,
        "person": href.rstrip("/").rsplit("/", 1)[1],
        "day": tomorrow.strftime("%Y-%m-%d"),
    }


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
    "/people/{person}",
    "/people/{person}/deactivate",
    "/connect/",
    "/recovery-key",
    "/week?day={day}",
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


ERROR = ".error, [role=alert]"  # a field's message, or the page's

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


def _answers(audit: Auditor, page, base: str, world: dict, label: str) -> str:
    """Pages that answer a form: an invitation, a password reset link, new recovery codes,
    a new recovery key. Returns the invitation's code."""
    page.goto(base + "/people/")
    page.locator("form[action$='/people/invite'] button[type=submit]").click()
    expect(page.locator("#invite-code")).to_be_visible()
    audit.check(page, f"{label} invitation")
    code = page.locator("#invite-code").inner_text()
    page.goto(base + f"/people/{world['person']}")
    page.locator("form[action$='/password-link'] button[type=submit]").click()
    expect(page.locator("#invite-link")).to_be_visible()
    audit.check(page, f"{label} password reset link")
    page.goto(base + "/profile/")
    page.locator("form[action$='/profile/recovery-codes'] button[type=submit]").click()
    expect(page.locator("main li code").first).to_be_visible()
    audit.check(page, f"{label} new recovery codes")
    page.goto(base + "/recovery-key")
    page.locator("main form[action$='/recovery-key'] button[type=submit]").click()
    audit.check(page, f"{label} new recovery key")
    return code


# Five failures a minute from one address and even right codes are refused (web/throttle).
THROTTLE_LIMIT, THROTTLE_WINDOW = 5, 60


class Failures:
    """The wrong codes and pseudonyms this test sends, all from 127.0.0.1: before a right
    one, waits until the throttle would let it through."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def add(self) -> None:
        self.times.append(time.monotonic())

    def wait_until_allowed(self) -> None:
        recent = [t for t in self.times if t > time.monotonic() - THROTTLE_WINDOW - 2]
        if len(recent) >= THROTTLE_LIMIT - 1:
            time.sleep(
                max(0.0, recent[-(THROTTLE_LIMIT - 1)] + THROTTLE_WINDOW + 2 - time.monotonic())
            )


def _stranger_pages(audit: Auditor, page, base: str, invitation: str, label: str, failures):
    """Joining with a code, the second step of signing in, then their wrong versions."""
    failures.wait_until_allowed()
    page.goto(base + "/join")
    page.locator("#code").fill(invitation)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(base + "/join/finish")
    audit.check(page, f"{label} join finish")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(ERROR).first).to_be_visible()
    audit.check(page, f"{label} join finish error")
    page.goto(base + "/signin")
    page.locator("#handle").fill("coord")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(base + "/signin/code")
    audit.check(page, f"{label} sign-in code")
    page.locator("#code").fill("000000")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(ERROR).first).to_be_visible()
    failures.add()
    audit.check(page, f"{label} sign-in code error")
    page.goto(base + "/signin")
    page.locator("#handle").fill("nobody")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(ERROR).first).to_be_visible()
    failures.add()
    audit.check(page, f"{label} sign-in error")
    page.goto(base + "/join")
    page.locator("#code").fill("ZZZ-ZZZZ-ZZZ")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(ERROR).first).to_be_visible()
    failures.add()
    audit.check(page, f"{label} join error")


def _debriefs(audit: Auditor, page, base: str, world: dict) -> None:
    """The debrief form, blank and sent back blank, once the task has started."""
    starts = world["starts"]
    time.sleep(max(0.0, (starts - datetime.now(starts.tzinfo)).total_seconds() + 1))
    for language in LANGUAGES:
        choose_language(page, base, language)
        audit.visit(page, base, f"/tasks/{world['started']}/debrief", f"{language} debrief")
        page.locator("main form button[type=submit]").last.click()
        expect(page.locator(ERROR).first).to_be_visible()
        audit.check(page, f"{language} debrief error")


# GET endpoints not audited as pages, each with its reason.
NOT_PAGES = {
    "static": "the stylesheet and other files, not pages",
    "home.health": "a plain-text answer for monitoring, not a page",
    "connect.qr": "the SVG image on /connect/ (audited there, with its text alternative)",
    "links.follow": "redirects to /join/finish (audited) or shows the unusable-link page",
}


def _unaudited_endpoints(tmp_path: Path, paths: set[str]) -> set[str]:
    """GET endpoints of the app that no audited page came from and NOT_PAGES does not list."""
    from helpers.instance import CHEAP_CONFIG

    instance = tmp_path / "url-map"
    instance.mkdir(mode=0o700)
    (instance / "config.toml").write_text(CHEAP_CONFIG)
    rules = create_app(instance, tls=False, testing=True).url_map
    adapter, audited = rules.bind("127.0.0.1"), set()
    for path in paths:
        try:
            audited.add(adapter.match(path, method="GET")[0])
        except (HTTPException, RequestRedirect):
            continue  # a 404 page, or the answer to a POST
    every = {rule.endpoint for rule in rules.iter_rules() if "GET" in rule.methods}
    return every - audited - set(NOT_PAGES)


def _axe_sees_a_planted_violation(audit: Auditor, page, base: str) -> None:
    """The audit can fail: an image without a text alternative is found."""
    page.goto(base + "/")
    page.evaluate(audit.axe_source)
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x>')")
    assert "image-alt" in {v["id"] for v in page.evaluate(RUN_AXE, TAGS)}


ARGS = {
    "ignore_https_errors": True,
    "viewport": {"width": 360, "height": 740},
    "locale": "en-CA",
    "bypass_csp": True,  # lets the test's own axe script run; the pages are unchanged
}


def test_every_page_has_no_wcag_violation(
    live_server_with_volunteer, browser, axe_source, tmp_path
):
    server, audit, args = live_server_with_volunteer, Auditor(axe_source), ARGS
    coordinator, volunteer = (browser.new_context(**args).new_page() for _ in range(2))
    world, failures = _world(server, coordinator, volunteer), Failures()
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
        invitation = _answers(audit, coordinator, server.base, world, language)
        _stranger_pages(audit, stranger, server.base, invitation, language, failures)
        anonymous.close()
        _error_states(audit, coordinator, server.base, world, language)
    _debriefs(audit, volunteer, server.base, world)
    assert audit.pages >= 3 * 48 and audit.languages == set(LANGUAGES)
    assert not audit.found, "\n".join(map(str, audit.found))
    assert not _unaudited_endpoints(tmp_path, audit.paths), "audit these pages, or say why not"


def test_the_sealed_page_has_no_wcag_violation(sealed_team_server, browser, axe_source):
    """The page a locked server shows, its sign-in sent back wrong, and its recovery-key
    form opened and sent back blank."""
    server, audit = sealed_team_server, Auditor(axe_source)
    handle = next(iter(TEAM_SECRETS))
    for language in LANGUAGES:
        context = browser.new_context(**{**ARGS, "locale": LOCALES[language]})
        page = context.new_page()
        audit.visit(page, server.base, "/", f"{language} sealed")
        page.locator("#handle").fill(handle)
        page.locator("#password").fill("not the password")
        page.locator("#code").fill("000000")
        page.locator("form[action$='/unlock/coordinator'] button[type=submit]").click()
        expect(page.locator(ERROR).first).to_be_visible()
        audit.check(page, f"{language} sealed sign-in error")
        page.locator("details.other-way summary").click()
        expect(page.locator("#passphrase")).to_be_visible()
        audit.check(page, f"{language} sealed recovery-key form")
        page.locator("form[action$='/unlock'] button[type=submit]").click()
        expect(page.locator(ERROR).first).to_be_visible()
        audit.check(page, f"{language} sealed recovery-key error")
        context.close()
    assert audit.pages == 4 * 3 and audit.languages == set(LANGUAGES)
    assert not audit.found, "\n".join(map(str, audit.found))
