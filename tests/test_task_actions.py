"""The task page offers sign-up, withdrawal and debrief exactly when the POST would succeed.

Each row builds one situation (who looks, whether they go, places left, before or after the
start, the task's state); each action is then tried for real. The page's button and the
POST's outcome must agree, and both must match the row's expectation.
"""

from __future__ import annotations

import re

import pytest

HOUR = 3600
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')

# viewer, goes, places_left, started, state -> may (s)ign up, (w)ithdraw, (d)ebrief
ROWS = [
    ("volunteer", False, True, False, "open", "s"),
    ("volunteer", False, False, False, "open", ""),  # full: not even shown to them
    ("volunteer", True, True, False, "open", "w"),
    ("volunteer", True, False, False, "open", "w"),
    ("volunteer", False, True, True, "open", ""),
    ("volunteer", True, True, True, "open", "d"),
    ("volunteer", True, False, True, "open", "d"),
    ("volunteer", True, True, False, "cancelled", ""),
    ("volunteer", True, True, True, "cancelled", ""),
    ("volunteer", True, False, True, "debriefed", "d"),
    ("coordinator", False, True, False, "open", "s"),
    ("coordinator", False, False, False, "open", ""),
    ("coordinator", True, True, False, "open", "w"),
    ("coordinator", False, True, True, "open", "d"),
    ("coordinator", False, False, True, "open", "d"),
    ("coordinator", False, True, False, "cancelled", ""),
    ("coordinator", False, True, True, "cancelled", ""),
    ("coordinator", True, False, True, "debriefed", "d"),
]
ACTIONS = {"s": "signup", "w": "withdraw", "d": "debrief"}


def post(client, url: str, data: dict | None = None, page: str = "/"):
    token = CSRF.search(client.get(page).text).group(1)
    return client.post(url, data={**(data or {}), "csrf_token": token})


def situation(team, viewer: str, goes: bool, places_left: bool, started: bool, state: str):
    """The task's token, and the client and handle of the person looking at it."""
    coord = team.coord
    client, handle = (coord, "coord") if viewer == "coordinator" else (team.person("ana"), "ana")
    code = team.open_case(coord)
    token = team.add_task(coord, code, people_needed="2" if places_left else "1")
    page = f"/tasks/{token}"
    going = [handle] if goes else []
    if not places_left and not goes:
        team.person("ben")
        going = ["ben"]  # someone else took the only place
    for who in going:
        assert post(coord, f"{page}/assign", {"volunteer": who}, page).status_code == 302
    if started:
        team.advance(30 * HOUR)  # the task was at 09:00 the next day
    if state == "cancelled":
        post(coord, f"{page}/cancel", page=f"{page}/cancel")
    elif state == "debriefed":
        post(coord, f"{page}/debrief", {"outcome": "done"}, page=f"{page}/debrief")
    return token, client, handle


def offered(client, token: str) -> str:
    """The actions the task page shows this person (none when they may not see it)."""
    page = client.get(f"/tasks/{token}")
    if page.status_code == 404:
        return ""
    assert page.status_code == 200
    marks = {
        "s": f'action="/tasks/{token}/signup"',
        # Within 48 hours of the start, "Withdraw…" leads to its confirmation first.
        "w": f'="/tasks/{token}/withdraw"',
        "d": f'href="/tasks/{token}/debrief"',
    }
    return "".join(letter for letter, mark in marks.items() if mark in page.text)


def goes_now(team, token: str, handle: str) -> bool:
    row = team.conn.execute(
        "SELECT 1 FROM assignments a JOIN tasks t ON t.id = a.task_id"
        " JOIN users u ON u.id = a.user_id WHERE t.token = ? AND u.handle = ?",
        (token, handle),
    ).fetchone()
    return row is not None


def outcome(team, token: str):
    return team.conn.execute("SELECT outcome FROM tasks WHERE token = ?", (token,)).fetchone()[0]


def attempt(team, client, token: str, handle: str, action: str) -> bool:
    """Try the action through its POST; True when it changed what it should."""
    page = f"/tasks/{token}"
    if action == "debrief":
        post(client, f"{page}/debrief", {"outcome": "did_not_happen"})
        return outcome(team, token) == "did_not_happen"
    before = goes_now(team, token, handle)
    post(client, f"{page}/{action}", {"confirmed": "1"})
    return goes_now(team, token, handle) != before


@pytest.mark.parametrize("letter", ACTIONS)
@pytest.mark.parametrize(("viewer", "goes", "places_left", "started", "state", "may"), ROWS)
def test_the_page_offers_what_the_post_allows(
    team, viewer, goes, places_left, started, state, may, letter
):
    token, client, handle = situation(team, viewer, goes, places_left, started, state)
    shown = letter in offered(client, token)
    succeeded = attempt(team, client, token, handle, ACTIONS[letter])
    assert (shown, succeeded) == (letter in may, letter in may)
