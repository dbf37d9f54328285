"""Role x route matrix over every rule in app.url_map (SECURITY.md items 11 and 12).

Generic on purpose: blueprints registered later (cases, tasks) are walked too. Every URL
argument gets a random token; arguments named in OTHERS_OBJECTS also get a real object
that belongs to someone else, which a volunteer must never reach.
"""

from __future__ import annotations

import secrets

import pytest
from helpers.forms import csrf_token
from werkzeug.routing import BuildError

from casework.web import lifecycle
from casework.web.gate import PUBLIC_ENDPOINTS, allowed_roles


def get_store_of(app):
    return app.extensions["casework_store"]


NOW = 1_800_000_000
METHODS = ("GET", "POST")
# URL argument name -> how to find an object of another person (extend per aggregate).
OTHERS_OBJECTS = {"public_id": lambda people: people["coordinator"].public_id}


@pytest.fixture
def world(app, accounts, store_key):
    """A coordinator and two volunteers, on a clock the test moves for fresh TOTP steps."""
    now = [NOW]
    app.config["CASEWORK_CLOCK"] = lambda: now[0]
    accounts.create("matrix-coord")
    accounts.create("matrix-vol", "volunteer")
    accounts.create("other-vol", "volunteer")
    people = {
        "coordinator": accounts.people["matrix-coord"],
        "volunteer": accounts.people["matrix-vol"],
        "other": accounts.people["other-vol"],
    }
    return app, accounts, people, now, store_key


def rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule


def build(app, rule, fill) -> str | None:
    adapter = app.url_map.bind("localhost")
    values = {arg: fill(arg) for arg in rule.arguments}
    try:
        return adapter.build(rule.endpoint, values)
    except BuildError:
        return adapter.build(rule.endpoint, {arg: "1" for arg in rule.arguments})


def random_token(_arg: str) -> str:
    return secrets.token_urlsafe(16)


class Visitor:
    """One role's browser; signs in again whenever a request ended its session."""

    def __init__(self, world, role: str | None) -> None:
        self.app, self.accounts, self.people, self.now, self.key = world
        self.role = role
        self.client = self.app.test_client()
        self.signin()

    def signin(self) -> None:
        if self.role is None:
            return
        self.now[0] += 90  # a fresh TOTP step for every sign-in
        response = self.accounts.signin(self.people[self.role].handle, client=self.client)
        assert response.status_code == 302, response.text

    def request(self, method: str, path: str):
        if method == "GET":
            response = self.client.get(path)
        else:
            token = csrf_token(self.client.get("/profile/" if self.role else "/signin"))
            response = self.client.post(path, data={"csrf_token": token})
        if get_store_of(self.app).sealed:  # "Lock now" was allowed: unlock for the next rule
            lifecycle.unlock_with_key(self.app, bytearray(self.key))
        if self.role and self.client.get("/").status_code != 200:
            self.signin()
        return response


def walk(world, role: str | None, fill):
    visitor = Visitor(world, role)
    app = world[0]
    for rule in rules(app):
        path = build(app, rule, fill)
        for method in METHODS:
            if method in rule.methods:
                yield rule, method, path, visitor.request(method, path)


def declared(app, endpoint: str) -> frozenset[str]:
    with app.test_request_context():
        return allowed_roles(endpoint) or frozenset()


def test_anonymous_never_gets_a_non_public_page(world):
    app = world[0]
    wrong = []
    for rule, method, path, response in walk(world, None, random_token):
        if response.status_code >= 500:
            wrong.append((method, path, response.status_code))
        if rule.endpoint not in PUBLIC_ENDPOINTS and response.status_code not in (302, 403):
            wrong.append((method, path, response.status_code))
    assert not wrong, wrong
    assert app


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_undeclared_roles_and_random_tokens_get_404(world, role):
    app, wrong = world[0], []
    for rule, method, path, response in walk(world, role, random_token):
        status = response.status_code
        public = rule.endpoint in PUBLIC_ENDPOINTS
        if status >= 500:
            wrong.append((method, path, status, "server error"))
        elif not public and role not in declared(app, rule.endpoint) and status != 404:
            wrong.append((method, path, status, "role not declared"))
        elif rule.arguments and status != 404:
            wrong.append((method, path, status, "random token found something"))
    assert not wrong, wrong


def test_a_volunteer_gets_404_for_another_persons_objects(world):
    app, _accounts, people, _now, _key = world
    others = [rule for rule in rules(app) if set(rule.arguments) & set(OTHERS_OBJECTS)]
    assert others, "no route addresses another person's object"

    def fill(arg: str) -> str:
        return OTHERS_OBJECTS[arg](people) if arg in OTHERS_OBJECTS else random_token(arg)

    wrong = []
    for rule, method, path, response in walk(world, "volunteer", fill):
        if rule in others and response.status_code != 404:
            wrong.append((method, path, response.status_code))
    assert not wrong, wrong


def test_a_coordinator_reaches_every_page_declared_for_coordinators(world):
    app, wrong = world[0], []
    for rule, method, path, response in walk(world, "coordinator", random_token):
        reachable = "coordinator" in declared(app, rule.endpoint) and not rule.arguments
        if method == "GET" and reachable and response.status_code not in (200, 302):
            wrong.append((method, path, response.status_code))
    assert not wrong, wrong
