"""The core flow on the real server at 360x740: a coordinator opens a case and a task, a
volunteer signs up, the coordinator moves it and the volunteer sees the notice, the
volunteer debriefs with a follow-up, the coordinator sees it on the board.

The debrief needs the task to have started: the task is set a few minutes ahead, and the
test waits for its start (the server's clock is real)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import create_account
from playwright.sync_api import expect

LEAD_SECONDS = 20


def test_core_flow(live_server_with_volunteer, browser, artifacts):
    server = live_server_with_volunteer
    context_args = {
        "ignore_https_errors": True,
        "viewport": {"width": 360, "height": 740},
        "locale": "en-CA",
    }
    coordinator = browser.new_context(**context_args).new_page()
    volunteer = browser.new_context(**context_args).new_page()
    create_account(coordinator, server.base, server.setup_path, "coord", coordinator=True)
    create_account(volunteer, server.base, server.volunteer_setup_path, "ana")

    # The coordinator opens a case and adds a task starting shortly.
    coordinator.get_by_role("link", name="Open a case").first.click()
    coordinator.get_by_label("Spanish").check()
    coordinator.get_by_label("Short context note").fill("Hearing support.")
    coordinator.get_by_role("button", name="Open the case").click()
    code = coordinator.locator("h1 .code").inner_text()
    coordinator.screenshot(path=str(artifacts / "case-360.png"), full_page=True)
    coordinator.get_by_role("link", name="Add a task").click()
    starts = datetime.now(ZoneInfo("America/Montreal")) + timedelta(seconds=LEAD_SECONDS)
    starts = starts.replace(second=0) + timedelta(minutes=1)
    coordinator.get_by_label("Date").fill(starts.strftime("%Y-%m-%d"))
    coordinator.get_by_label("Start time").fill(starts.strftime("%H:%M"))
    coordinator.get_by_label("Place").fill("Palais de justice")
    coordinator.get_by_label("Instructions").fill("Call 514-555-0199 first")
    coordinator.get_by_role("button", name="Add the task").click()
    expect(coordinator.locator("#instructions-error")).to_contain_text("a phone number")
    expect(coordinator.locator("#instructions")).to_be_focused()
    coordinator.screenshot(path=str(artifacts / "task-form-error-360.png"), full_page=True)
    coordinator.get_by_label("Instructions").fill("Meet at the entrance.")
    coordinator.get_by_role("button", name="Add the task").click()
    expect(coordinator.get_by_text("The task is on the board.")).to_be_visible()

    # The volunteer sees a summary on their home, signs up and gets the details.
    volunteer.goto(server.base + "/")
    volunteer.get_by_role("link", name="Hearing").first.click()
    expect(volunteer.get_by_text("Meet at the entrance.")).to_have_count(0)
    volunteer.get_by_role("button", name="Sign me up").click()
    expect(volunteer.get_by_text("Meet at the entrance.")).to_be_visible()
    volunteer.screenshot(path=str(artifacts / "task-mine-360.png"), full_page=True)

    # The coordinator moves the task by a minute: the volunteer's home says so, old and
    # new, until "Seen"; then the coordinator's task page shows it seen.
    task_url = volunteer.url.split("?", 1)[0]
    moved = starts + timedelta(minutes=1)
    coordinator.goto(task_url + "/edit")
    coordinator.get_by_label("Start time").fill(moved.strftime("%H:%M"))
    coordinator.get_by_role("button", name="Save the changes").click()
    expect(coordinator.get_by_text("ana — has not seen the latest change yet")).to_be_visible()
    volunteer.goto(server.base + "/")
    notice = volunteer.locator("section.notices")
    expect(notice).to_contain_text(f"{starts:%H:%M}–")
    expect(notice).to_contain_text(f"→ {moved:%a} {moved.day} {moved:%b}, {moved:%H:%M}")
    volunteer.screenshot(path=str(artifacts / "notice-360.png"), full_page=True)
    notice.get_by_role("button", name="Seen").click()
    expect(volunteer.locator("section.notices")).to_have_count(0)
    coordinator.goto(task_url)
    expect(coordinator.get_by_text("ana — has seen the latest change")).to_be_visible()
    starts = moved

    # After the start, the volunteer writes a debrief asking for a follow-up.
    time.sleep(max(0.0, (starts - datetime.now(starts.tzinfo)).total_seconds() + 1))
    volunteer.goto(server.base + "/")
    volunteer.get_by_role("link", name="Write the debrief").first.click()
    volunteer.get_by_label("Needs follow-up").check()
    volunteer.get_by_label("Short note").fill("A lawyer should call back.")
    volunteer.get_by_role("button", name="Save the debrief").click()
    expect(volunteer.get_by_text("the debrief is saved")).to_be_visible()
    volunteer.screenshot(path=str(artifacts / "volunteer-home-360.png"), full_page=True)

    # The coordinator sees the follow-up on the board.
    coordinator.goto(server.base + "/")
    follow_ups = coordinator.locator("section", has=coordinator.locator("#follow-ups"))
    expect(follow_ups.get_by_text("Needs follow-up")).to_be_visible()
    expect(follow_ups.get_by_text(code)).to_be_visible()
    coordinator.screenshot(path=str(artifacts / "board-360.png"), full_page=True)

    # "Mark as handled" posts the board's one form (its CSRF field) to the button's
    # formaction: the follow-up leaves the board.
    follow_ups.get_by_role("button", name="Mark as handled").click()
    expect(coordinator.get_by_text("No follow-up waiting.")).to_be_visible()
