"""Fixtures: a temporary instance with cheap KDF and hashing, the app, clients, sign-in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.accounts import Accounts, Team
from helpers.instance import CHEAP_CONFIG, CHEAP_KDF, NOW, PASSPHRASE

from casework import create_app
from casework.cli import cli
from casework.vault.store import Store


def pytest_configure(config) -> None:
    # As `casework` itself sets at start: files made by fixtures are the owner's only.
    os.umask(0o077)
    # The command line speaks the locale's language: tests read English unless they say.
    for name in ("LC_ALL", "LC_MESSAGES"):
        os.environ.pop(name, None)
    os.environ["LANG"] = "C.UTF-8"


@pytest.fixture
def shell_umask():
    """A shell's usual umask (022) for one test, to show a command does not rely on it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    path = tmp_path / "instance"
    path.mkdir(mode=0o700)
    (path / "config.toml").write_text(CHEAP_CONFIG)
    (path / "config.toml").chmod(0o600)
    return path


@pytest.fixture
def created(instance: Path) -> Store:
    """A new store in the instance; ``.made_key`` opens it, ``.new_recovery_key`` too."""
    store = Store(instance)
    store.made_key = store.create(PASSPHRASE, CHEAP_KDF)
    return store


@pytest.fixture
def store_key(created: Store) -> bytearray:
    return created.made_key


@pytest.fixture
def written_recovery_key(created: Store) -> str:
    """The recovery key `casework init` shows once, as written down."""
    return created.new_recovery_key


@pytest.fixture
def app(instance: Path, store_key: bytearray):
    app = create_app(instance, key=bytearray(store_key), tls=False, testing=True)
    yield app
    app.extensions["casework_store"].lock()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def conn(app):
    """This thread's connection, fetched anew at each use: a rotation of the store key
    (a coordinator removed) replaces every pooled connection, as it does for requests."""
    return CurrentConnection(app.extensions["casework_store"])


class CurrentConnection:
    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        return getattr(self._store.conn(), name)


@pytest.fixture
def run(instance):
    """`casework --instance <the test instance> ...` through click's runner."""
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(cli, ["--instance", str(instance), *args], input=stdin)

    return invoke


@pytest.fixture
def clock(app) -> list[int]:
    """The app's clock at NOW; the test moves it with ``clock[0] += seconds``."""
    now = [NOW]
    app.config["CASEWORK_CLOCK"] = lambda: now[0]
    return now


@pytest.fixture
def accounts(app, client) -> Accounts:
    return Accounts(app, client)


@pytest.fixture
def team(app, accounts):
    """A coordinator `coord` (signed in, English) on a fixed clock; add volunteers with
    team.person(handle, languages=...)."""
    people = Team(app, accounts)
    people.coord = people.person("coord", "coordinator")
    return people
