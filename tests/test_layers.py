"""The layers stay layers: rules → store → vault → web → blueprints → app, server, cli.

Each check is a function over source files, so that it is also shown to fail on a
module written the wrong way (the tests at the bottom), not only to pass on ours.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "casework"
WEB_FRAMEWORKS = ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "wtforms")
BLUEPRINTS = (
    "auth", "cases", "connect", "home", "people", "profile", "retention", "seal", "tasks"
)  # fmt: skip
LOWER = ("casework.rules", "casework.store", "casework.vault")
# What a string holding an SQL statement starts with (upper case, as every statement here).
SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK"
    r"|VACUUM|ATTACH|DETACH|SAVEPOINT|RELEASE|REPLACE|WITH\s+\w+\s+AS)\b"
)


def layer(module: str) -> int:
    """The rank of a casework module: an import may only go to the same rank or lower."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in ("", "rules", "config", "clock"):
        return 0
    ranks = {"store": 1, "vault": 2, "web": 3}
    if top in ranks:
        return ranks[top]
    if top in BLUEPRINTS:
        return 4
    return 5  # app, server, cli, __main__


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, root: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the tree, inside functions too."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                relative = Path(root.parent, *candidate.split("."))
                is_module = relative.with_suffix(".py").exists() or relative.is_dir()
                found.append((node.lineno, candidate if is_module else node.module))
    return found


def upward_imports(root: Path) -> list[str]:
    """Every import of a higher layer, and of a web framework from a lower layer."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        tree = ast.parse(path.read_text(), str(path))
        for line, target in imported(tree, root):
            where = f"{path.relative_to(root.parent)}:{line} imports {target}"
            if target.split(".")[0] in WEB_FRAMEWORKS and name.startswith(LOWER):
                problems.append(where)
            lazy_factory = name == "casework" and target == "casework.app"
            if target.startswith("casework") and layer(target) > layer(name) and not lazy_factory:
                problems.append(where)
    return problems


def docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            ids.add(id(body[0].value))
    return ids


def sql_outside_the_store(root: Path) -> list[str]:
    """Every string (an f-string by its first part) that starts like an SQL statement."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(root / "store"):
            continue
        tree = ast.parse(path.read_text(), str(path))
        skip = docstrings(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            # An f-string's literal parts are Constant nodes too: its start is checked.
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL.match(node.value)
            ):
                problems.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return problems


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports(PACKAGE) == []


def test_no_sql_statement_outside_the_store():
    assert sql_outside_the_store(PACKAGE) == []


@pytest.mark.slow
def test_the_lower_layers_load_no_web_framework_in_a_fresh_interpreter():
    lower = [
        module_name(path, PACKAGE)
        for top in ("rules", "store", "vault")
        for path in sorted((PACKAGE / top).rglob("*.py"))
    ]
    lower += ["casework.config", "casework.clock"]
    program = (
        "import importlib, sys\n"
        f"for name in {lower!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_FRAMEWORKS!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert len(lower) > 30  # every module of the three packages was imported
    assert done.stdout.strip() == "[]"


def fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "casework"
    for name, source in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"store/__init__.py": "", "store/users.py": "from flask_login import UserMixin\n"}, 1),
        ({"store/__init__.py": "def f():\n    import werkzeug.exceptions\n"}, 1),
        ({"store/__init__.py": "from casework.web import gate\n", "web/gate.py": ""}, 1),
        ({"rules/__init__.py": "from casework.store import db\n", "store/db.py": ""}, 1),
        ({"web/__init__.py": "from casework.store import db\n", "store/db.py": ""}, 0),
        ({"vault/x.py": "from casework import cli\n", "cli/__init__.py": ""}, 1),
        ({"cases/views.py": "from casework.tasks import forms\n", "tasks/forms.py": ""}, 0),
    ],
)
def test_the_import_check_catches_an_upward_import(tmp_path, files, expected):
    assert len(upward_imports(fake_package(tmp_path, files))) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('q = "SELECT id FROM users"\n', 1),
        ('def f(t):\n    return f"DELETE FROM {t} WHERE 1"\n', 1),
        ('x = "  PRAGMA secure_delete = ON"\n', 1),
        ('def f():\n    """SELECT is only mentioned in a docstring."""\n', 0),
        ('flash = "Delete this case?"\n', 0),
    ],
)
def test_the_sql_check_catches_a_statement_outside_the_store(tmp_path, source, expected):
    root = fake_package(tmp_path, {"web/x.py": source, "store/ok.py": 'q = "SELECT 1"\n'})
    assert len(sql_outside_the_store(root)) == expected
