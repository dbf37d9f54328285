"""The role × route matrix for cases and tasks: every new route, every role, GET and POST.

Volunteers never reach case pages, and see a task only when assigned (in full) or while
it is open to sign up (summary); anything else is 404, as for a token that does not exist.
"""

from __future__ import annotations

import pytest
from helpers.forms import csrf_token, post

# The assigned volunteer goes last: their withdrawal is the one change the matrix makes.
ROLES = ("anonymous", "coordinator", "other", "assigned")
# (method, path, expected status per role in ROLES order); {code} {task} {other} filled in.
MATRIX = [
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
    ("POST", "/tasks/{task}/signup", (403, 302, 302, 302)),
    ("POST", "/tasks/{task}/withdraw", (403, 302, 404, 302)),
    ("POST", "/tasks/{task}/assign", (403, 302, 404, 404)),  # 302: "no such person"
    ("POST", "/tasks/{task}/unassign", (403, 302, 404, 404)),
    ("GET", "/tasks/{task}/cancel", (302, 200, 404, 404)),
    ("POST", "/tasks/{task}/cancel", (403, 302, 404, 404)),
    ("POST", "/tasks/{task}/handled", (403, 302, 404, 404)),
    ("GET", "/week", (302, 200, 200, 200)),
]


@pytest.fixture
def world(team):
    code = team.open_case(team.coord)
    task = team.add_task(team.coord, code, people_needed="1")
    team.person("assigned")
    team.person("other")
    post(team.coord, f"/tasks/{task}/assign", {"volunteer": "assigned"})
    clients = {
        "anonymous": team.app.test_client(),
        "coordinator": team.coord,
        "assigned": team.clients["assigned"],
        "other": team.clients["other"],
    }
    return {"code": code, "task": task, "other": "no-such-token", "clients": clients}


@pytest.mark.parametrize(("method", "path", "expected"), MATRIX, ids=[m[1] for m in MATRIX])
def test_role_route_matrix(team, world, method, path, expected):
    url = path.format(**world)
    for role, status in zip(ROLES, expected, strict=True):
        client = world["clients"][role]
        if method == "GET":
            response = client.get(url)
        else:
            token = csrf_token(client.get("/signin" if role == "anonymous" else "/week"))
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code == status, (role, method, url, response.status_code)
    # Nothing any of them did changed who goes, but the assigned one's own withdrawal.
    assert team.count("assignments") == (0 if path.endswith("/withdraw") else 1)


def test_matrix_covers_every_case_and_task_route(app):
    adapter = app.url_map.bind("localhost")
    covered = {
        adapter.match(path.split("?")[0].format(code="K", task="t", other="o"), method=method)[0]
        for method, path, _expected in MATRIX
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
