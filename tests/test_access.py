"""Role × route × object matrix over every rule in app.url_map (SECURITY.md items 11, 12).

Every endpoint is on the short public list or declares its roles. Walking every rule:
anonymous visitors are sent to sign in (GET) or refused (POST); a role the endpoint does
not declare, and any random token, get 404; a coordinator without a second factor only
reaches enrolment; a volunteer gets 404 for another person's objects by GET and POST. The
table below pins every case and task route for the objects of one real world: volunteers
never reach case pages, and see a task only when assigned (in full) or while it is open to
sign up (summary); anything else is 404, as for a token that does not exist.
"""

from __future__ import annotations

import secrets

import pytest
from helpers.forms import NO_SUCH_PAGE, post, token_in

from casework.web import lifecycle
from casework.web.gate import ENROLMENT_ENDPOINTS, PUBLIC_ENDPOINTS, ROLES

# The assigned volunteer goes last: their withdrawal is the one change the table makes.
TABLE_ROLES = ("anonymous", "coordinator", "other", "assigned")
# (method, path, expected status per role in TABLE_ROLES order); {code} {task} {other}
# are the world's case, its task (assigned to "assigned") and a token that does not exist.
TABLE = [
    ("GET", "/cases/new", (302, 200, 404, 404)),
    ("POST", "/cases/new", (403, 200, 404, 404)),
    ("GET", "/cases/find?code={code}", (302, 302, 404, 404)),
    ("GET", "/cases/{code}", (302, 200, 404, 404)),
    ("GET", "/cases/{code}/edit", (302, 200, 404, 404)),
    ("POST", "/cases/{code}/edit", (403, 200, 404, 404)),
    ("GET", "/cases/{code}/close", (302, 200, 404, 404)),
    ("POST", "/cases/{code}/close", (403, 302, 404, 404)),
    ("POST", "/cases/{code}/reopen", (403, 302, 404, 404)),
    ("POST", "/cases/{code}/keep-open", (403, 302, 404, 404)),
    ("GET", "/cases/{code}/tasks/new", (302, 200, 404, 404)),
    ("POST", "/cases/{code}/tasks/new", (403, 200, 404, 404)),
    ("GET", "/tasks/{task}", (302, 200, 404, 200)),
    ("GET", "/tasks/{other}", (302, 404, 404, 404)),
    ("GET", "/tasks/{task}/edit", (302, 200, 404, 404)),
    ("POST", "/tasks/{task}/edit", (403, 200, 404, 404)),
    ("GET", "/tasks/{task}/debrief", (302, 302, 404, 302)),
    ("POST", "/tasks/{task}/debrief", (403, 302, 404, 302)),
    ("POST", "/tasks/{task}/signup", (403, 302, 302, 302)),  # 302 for "other": "it is full"
    # "assigned" was put on the task by the coordinator: they have a notice to mark seen.
    ("POST", "/notices/{task}/seen", (403, 404, 404, 302)),
    ("POST", "/notices/{other}/seen", (403, 404, 404, 404)),
    # The task starts within 48 hours: withdrawing asks for a confirmation first, and
    # only the confirmed POST withdraws.
    ("GET", "/tasks/{task}/withdraw", (302, 302, 404, 200)),
    ("POST", "/tasks/{task}/withdraw", (403, 302, 404, 200)),
    ("POST", "/tasks/{task}/withdraw?confirmed=1", (403, 302, 404, 302)),
    ("POST", "/tasks/{task}/assign", (403, 302, 404, 404)),  # 302: "no such person"
    ("POST", "/tasks/{task}/unassign", (403, 302, 404, 404)),
    ("GET", "/tasks/{task}/cancel", (302, 200, 404, 404)),
    ("POST", "/tasks/{task}/cancel", (403, 302, 404, 404)),
    ("POST", "/tasks/{task}/handled", (403, 302, 404, 404)),
    ("GET", "/week", (302, 200, 200, 200)),
]
# What a volunteer may get for another person's object instead of 404, from the table.
NOT_404_FOR_OTHERS = {("POST", "tasks.signup"): 302}
# The walks: who visits, and what fills the URL arguments.
WALKS = [
    ("anonymous", "random"),
    ("volunteer", "random"),
    ("coordinator", "random"),
    ("unenrolled", "random"),
    ("volunteer", "others"),
]


@pytest.fixture
def world(team):
    """A case and its one-person task, assigned to "assigned"; "other" is a volunteer with
    nothing of their own; "fresh" a coordinator who has not enrolled a second factor."""
    code = team.open_case(team.coord)
    task = team.add_task(team.coord, code, people_needed="1")
    team.person("assigned")
    team.person("other")
    post(team.coord, f"/tasks/{task}/assign", {"volunteer": "assigned"})
    fresh = team.app.test_client()
    fresh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    team.accounts.create("fresh", client=fresh, second_factor=False)
    clients = {
        "anonymous": team.app.test_client(),
        "coordinator": team.coord,
        "assigned": team.clients["assigned"],
        "other": team.clients["other"],
        "volunteer": team.clients["other"],
        "unenrolled": fresh,
    }
    handles = {"coordinator": "coord", "other": "other", "volunteer": "other"}
    handles.update(assigned="assigned", unenrolled="fresh")
    others = {"code": code, "token": task, "public_id": team.accounts.people["coord"].public_id}
    return {"code": code, "task": task, "other": "no-such-token", "clients": clients,
            "handles": handles, "others": others}  # fmt: skip


def test_every_endpoint_is_public_or_declares_roles(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        roles = getattr(app.view_functions[rule.endpoint], "casework_roles", None)
        if rule.endpoint in PUBLIC_ENDPOINTS:
            assert roles is None, f"{rule.endpoint} is public and also declares roles"
        elif not roles or not roles <= set(ROLES):
            undeclared.append(rule.endpoint)
    assert not undeclared, f"endpoints with no role check: {undeclared}"


def visits(team, world, role: str, objects: str, store_key):
    """Every rule but static, by GET and POST where allowed, with its URL arguments filled
    by random tokens or by the world's real objects; yields (rule, method, path, response)."""
    app, client = team.app, world["clients"][role]
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {
            arg: world["others"][arg] if objects == "others" else secrets.token_urlsafe(16)
            for arg in rule.arguments
        }
        path = adapter.build(rule.endpoint, values)
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            response = client.get(path) if method == "GET" else post(client, path)
            yield rule, method, path, response
            if app.extensions["casework_store"].sealed:  # "Lock now" was allowed
                lifecycle.unlock_with_key(app, bytearray(store_key))
            if role != "anonymous" and token_in(client.get(NO_SUCH_PAGE).text) is None:
                team.now += 90  # their session ended: sign in again on a fresh TOTP step
                team.accounts.signin(world["handles"][role], client=client)


def wrong_answer(rule, declared, method: str, role: str, objects: str, response) -> str | None:
    """Why this response breaks the access rule, or None when it keeps it."""
    status, endpoint = response.status_code, rule.endpoint
    if status >= 500:
        return "server error"
    if endpoint in PUBLIC_ENDPOINTS:
        if role != "anonymous" and objects == "random" and rule.arguments and status != 404:
            return "random token found something"
        return None
    if role == "anonymous":
        return None if status == (302 if method == "GET" else 403) else "not signed in"
    if role == "unenrolled":
        if endpoint in ENROLMENT_ENDPOINTS:
            return None
        if method == "POST":
            return None if status == 404 else "no second factor"
        location = response.headers.get("Location")
        return None if location == "/profile/second-factor" else "no second factor"
    if role not in declared:
        return None if status == 404 else "role not declared"
    if rule.arguments and objects == "random":
        return None if status == 404 else "random token found something"
    if rule.arguments:
        allowed = NOT_404_FOR_OTHERS.get((method, endpoint), 404)
        return None if status == allowed else "another person's object"
    if role == "coordinator" and method == "GET" and status not in (200, 302):
        return "a coordinator's page is out of reach"
    return None


@pytest.mark.parametrize(("role", "objects"), WALKS, ids=[f"{r}-{o}" for r, o in WALKS])
def test_every_route_keeps_the_access_rule(team, world, store_key, role, objects):
    app, wrong, seen = team.app, [], set()
    for rule, method, path, response in visits(team, world, role, objects, store_key):
        seen.add(rule.endpoint)
        declared = getattr(app.view_functions[rule.endpoint], "casework_roles", frozenset())
        why = wrong_answer(rule, declared, method, role, objects, response)
        if why:
            wrong.append((method, path, response.status_code, why))
    assert not wrong, wrong
    assert seen == {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert team.count("assignments") == 1  # nobody's walk changed who goes


@pytest.mark.parametrize(("method", "path", "expected"), TABLE, ids=[m[1] for m in TABLE])
def test_role_route_matrix(team, world, method, path, expected):
    url = path.format(**world)
    for role, status in zip(TABLE_ROLES, expected, strict=True):
        client = world["clients"][role]
        response = client.get(url) if method == "GET" else post(client, url)
        assert response.status_code == status, (role, method, url, response.status_code)
    # Nothing any of them did changed who goes, but the assigned one's own withdrawal.
    assert team.count("assignments") == (0 if path.endswith("confirmed=1") else 1)


def test_matrix_covers_every_case_and_task_route(app):
    adapter = app.url_map.bind("localhost")
    covered = {
        adapter.match(path.split("?")[0].format(code="K", task="t", other="o"), method=method)[0]
        for method, path, _expected in TABLE
    }
    ours = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("cases", "tasks")
    }
    assert ours - covered == set()


def test_signup_on_a_full_task_tells_the_other_volunteer(team, world):
    other = world["clients"]["other"]
    response = post(other, f"/tasks/{world['task']}/signup", page="/week")
    assert response.status_code == 302
    assert "this task is full" in other.get("/").text
    assert post(other, "/tasks/no-such-token/signup", page="/week").status_code == 404
    assert team.count("assignments") == 1
