"""Mutation testing of the privacy-critical modules: do the tests fail when a rule breaks?

Each module named in scripts/mutate.toml (or on the command line) is mutated and run
against the fast tests that exercise it. Functions are mutated by mutmut 3; what runs at
import (the declarative SQL of retention_rules.py, the guard's pattern tables) is mutated
by the small mutator below, which swaps SQL operators, drops NOTs and changes numbers, or
drops a regex alternative and changes a quantifier. Each mutant of ours runs the tests in
a forked child that imports casework afresh from a scratch copy holding the mutant.

Equivalent mutants (no test can tell them from the original) are listed by id in the
"Mutation testing" section of docs/development.md, each with its reason; they are left
out of the score. Scratch copies live in .mutants/ (not in git).

Usage: ./scripts/mutate [PATH ...] [--json OUT] [--jobs N]
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tokenize
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "scripts" / "mutate.toml"
DOCS = ROOT / "docs" / "development.md"
SCRATCH = ROOT / ".mutants"
PYTEST_ARGS = ["-p", "no:cacheprovider", "-m", "not slow and not browser", "-q", "-x"]
COPIED = ("casework", "tests", "templates", "pyproject.toml")
IGNORED = shutil.ignore_patterns("__pycache__", ".hypothesis", "artifacts", "*.pyc")


@dataclass
class Outcome:
    """Mutants of one module: every id, and the ids that no test killed."""

    mutants: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)
    described: dict[str, str] = field(default_factory=dict)
    case_only: list[str] = field(default_factory=list)
    seconds: float = 0.0


# Our SQL writes its keywords in capitals: a literal holding one of them is SQL.
_SQL_WORD = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|EXISTS|SET|AND|OR|IN|PRAGMA"
    r"|ORDER BY|GROUP BY|LIMIT|IS NOT NULL|IS NULL)\b"
)


def ignores_case(diff: str) -> bool:
    """Whether a mutant only changes the letter case of SQL or of a row's column name.

    SQLite reads keywords, table and column names whatever their case, and sqlite3.Row
    finds a column whatever the case of its name: such a mutant is equivalent. A change
    inside a quoted SQL value ('open') or any other string is not.
    """
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and line[1:2] != "-"]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and line[1:2] != "+"]
    if len(removed) != 1 or len(added) != 1:
        return False
    old, new = removed[0], added[0]
    if old == new or old.lower() != new.lower() or len(old) != len(new):
        return False
    changed = [index for index, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    keys = [m.span(1) for m in re.finditer(r"\[(\"[^\"]*\"|'[^']*')\]", old)]
    if all(any(a <= i < b for a, b in keys) for i in changed):
        return True  # row["id"] -> row["ID"]
    for literal in re.finditer(r'"([^"]*)"', old):
        a, b = literal.span(1)
        if not all(a <= i < b for i in changed) or not _SQL_WORD.search(literal.group(1)):
            continue
        values = [(a + m.start(), a + m.end()) for m in re.finditer(r"'[^']*'", literal.group(1))]
        return not any(x <= i < y for x, y in values for i in changed)
    return False


# --- scratch copies --------------------------------------------------------------------


def scratch_copy(name: str) -> Path:
    """A fresh copy of the code, tests and templates to mutate in."""
    target = SCRATCH / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for item in COPIED:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=IGNORED)
        else:
            shutil.copy2(source, target / item)
    return target


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


# --- mutmut ----------------------------------------------------------------------------

_MUTMUT_CFG = """[mutmut]
source_paths=casework
only_mutate={module}
also_copy=
    templates
pytest_add_cli_args=
{args}
pytest_add_cli_args_test_selection=
{tests}
"""


def run_mutmut(
    module: str, tests: list[str], log: Path, extra: list[str], *, rerun: bool = True
) -> Outcome:
    """mutmut 3 on ``module``'s functions, one worker, against ``tests``."""
    work = SCRATCH / (dotted(module) + "-mutmut")
    if rerun:
        _mutmut_run(work, module, tests, log, extra)
    return _mutmut_results(work, module, log)


def _mutmut_run(work: Path, module: str, tests: list[str], log: Path, extra: list[str]) -> None:
    work = scratch_copy(work.name)
    args = [arg for arg in PYTEST_ARGS if arg not in ("-x", "-q")] + extra
    indent = "\n".join(f"    {arg}" for arg in args)
    (work / "setup.cfg").write_text(
        _MUTMUT_CFG.format(
            module=module, args=indent, tests="\n".join(f"    {test}" for test in tests)
        )
    )
    mutmut = Path(sys.executable).with_name("mutmut")
    with log.open("w") as out:
        subprocess.run(
            [str(mutmut), "run", "--max-children", "1"],
            cwd=work,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )


def _mutmut_results(work: Path, module: str, log: Path) -> Outcome:
    mutmut = Path(sys.executable).with_name("mutmut")
    listed = subprocess.run(
        [str(mutmut), "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    outcome = Outcome()
    for line in listed.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name.startswith(dotted(module) + "."):
            continue
        outcome.mutants.append(name)
        if status not in ("killed", "timeout", "caught by type check"):
            shown = subprocess.run(
                [str(mutmut), "show", name], cwd=work, capture_output=True, text=True, check=False
            ).stdout
            if ignores_case(shown):
                outcome.case_only.append(name)
            outcome.survived.append(name)
            outcome.described[name] = status
    if not outcome.mutants:
        print(f"  mutmut made no mutants of {module}: see {log}", file=sys.stderr)
    return outcome


# --- our mutator for what runs at import -----------------------------------------------

_SQL_OPERATORS = [
    (r"<=", "<"),
    (r">=", ">"),
    (r"(?<![<>!])<(?![=>])", "<="),
    (r"(?<![<>!\-])>(?!=)", ">="),
    (r"<>", "="),
    (r"!=", "="),
    (r"(?<![<>!=])=(?!=)", "<>"),
    (r"\bAND\b", "OR"),
    (r"\bOR\b", "AND"),
    (r"\bNOT\s+", ""),
    (r"\bIS NOT NULL\b", "IS NULL"),
    (r"\bIS NULL\b", "IS NOT NULL"),
    (r"\bmax\(", "min("),
    (r"\bmin\(", "max("),
    (r"(?<![\w:.])(\d+)(?![\w.])", None),  # a number in SQL: n + 1
]


def _interpolations(body: str, is_f: bool) -> list[tuple[int, int]]:
    """Spans of ``{name}`` fields in an f-string body, left alone by every mutation."""
    if not is_f:
        return []
    return [m.span() for m in re.finditer(r"(?<!\{)\{(?!\{)[^{}]*\}(?!\})", body)]


def _sql_mutations(body: str, is_f: bool):
    skip = _interpolations(body, is_f)
    for pattern, replacement in _SQL_OPERATORS:
        for match in re.finditer(pattern, body):
            if any(start <= match.start() < end for start, end in skip):
                continue
            new = str(int(match.group(1)) + 1) if replacement is None else replacement
            yield match.start(), match.end(), new, f"{match.group()!r} -> {new!r}"


def _regex_mutations(body: str, is_f: bool):
    """Drop an alternative; tighten or loosen a counted repeat; make an optional part required."""
    skip = _interpolations(body, is_f)
    open_brace, close_brace = ("{{", "}}") if is_f else ("{", "}")
    counted = re.escape(open_brace) + r"(\d+)(,(\d*))?" + re.escape(close_brace)
    for match in re.finditer(counted, body):
        low, comma, high = int(match.group(1)), match.group(2), match.group(3)
        if comma is None:
            shapes = [f"{open_brace}{n}{close_brace}" for n in (low + 1, low - 1) if n > 0]
        else:
            shapes = [f"{open_brace}{low + 1},{high}{close_brace}"]
            if high:
                shapes.append(f"{open_brace}{low},{int(high) - 1}{close_brace}")
        for shape in shapes:
            yield match.start(), match.end(), shape, f"{match.group()!r} -> {shape!r}"
    depth_class = _class_spans(body)
    for index, char in enumerate(body):
        if any(start <= index < end for start, end in skip + depth_class):
            continue
        if _escaped(body, index):
            continue
        if char == "|":
            end = _alternative_end(body, index + 1)
            yield index, end, "", f"drop alternative {body[index + 1 : end]!r}"
        elif char == "?" and index and body[index - 1] not in "(?*+}" and body[index - 1] != "{":
            yield index, index + 1, "", "optional part made required"
        elif char == "*":
            yield index, index + 1, "+", "'*' -> '+'"


def _escaped(body: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and body[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _class_spans(body: str) -> list[tuple[int, int]]:
    spans, index = [], 0
    while index < len(body):
        if body[index] == "[" and not _escaped(body, index):
            end = index + 1
            while end < len(body) and not (body[end] == "]" and not _escaped(body, end)):
                end += 1
            spans.append((index, end + 1))
            index = end
        index += 1
    return spans


def _alternative_end(body: str, start: int) -> int:
    depth, classes = 0, _class_spans(body)
    for index in range(start, len(body)):
        if any(a <= index < b for a, b in classes) or _escaped(body, index):
            continue
        if body[index] == "(":
            depth += 1
        elif body[index] == ")":
            if depth == 0:
                return index
            depth -= 1
        elif body[index] == "|" and depth == 0:
            return index
    return len(body)


def _function_lines(source: str) -> set[int]:
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                lines.update(range(first.lineno, first.end_lineno + 1))  # a docstring
    return lines


def our_mutants(source: str, kind: str, module: str) -> list[tuple[str, str, str]]:
    """(id, description, mutated source) for each mutation of module-level literals."""
    inside = _function_lines(source)
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    found, per_line = [], {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        line = token.start[0]
        if line in inside or token.type not in (tokenize.STRING, tokenize.NUMBER):
            continue
        start = offsets[line - 1] + token.start[1]
        if token.type == tokenize.NUMBER:
            value = int(token.string.replace("_", ""))
            edits = [(0, len(token.string), str(value + 1), f"{token.string} -> {value + 1}")]
            if kind == "regex" and value > 1:
                edits.append(
                    (0, len(token.string), str(value - 1), f"{token.string} -> {value - 1}")
                )
        else:
            prefix = re.match(r"[a-zA-Z]*", token.string).group().lower()
            quote = 3 if token.string[len(prefix) :].startswith(('"""', "'''")) else 1
            body_start = len(prefix) + quote
            body = token.string[body_start:-quote]
            mutations = _sql_mutations if kind == "sql" else _regex_mutations
            edits = [
                (body_start + a, body_start + b, new, what)
                for a, b, new, what in mutations(body, "f" in prefix)
            ]
        for a, b, new, what in edits:
            per_line[line] = per_line.get(line, 0) + 1
            mutant_id = f"{dotted(module)}:{line}:{per_line[line]}"
            mutated = source[: start + a] + new + source[start + b :]
            found.append((mutant_id, what, mutated))
    return found


def _run_child(work: Path, tests: list[str], timeout: float) -> tuple[bool, float]:
    # ``tests`` holds the test files and any extra pytest arguments
    """Run ``tests`` in a forked child importing casework from ``work``; True if they pass."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: casework comes from the scratch copy, never from the parent
        os.chdir(work)
        sys.path.insert(0, str(work))
        sys.dont_write_bytecode = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        os._exit(pytest.main([*tests, *PYTEST_ARGS]))
    deadline = started + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0, time.monotonic() - started
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return False, time.monotonic() - started  # a hang is a failing test
        time.sleep(0.02)


def _warm_up() -> None:
    # Libraries every child needs, imported once here so that each fork starts quickly;
    # casework itself is imported by each child from its scratch copy.
    # (not pytest plugins such as hypothesis: pytest must import them itself to rewrite them)
    for name in ("flask", "flask_wtf", "flask_babel", "sqlcipher3", "argon2", "segno"):
        __import__(name)
    assert not any(name.split(".")[0] == "casework" for name in sys.modules)


def ours_from_log(log: Path) -> Outcome:
    """The outcome of our last run of a module, read back from its log."""
    outcome = Outcome()
    for line in log.read_text().splitlines() if log.exists() else []:
        mutant_id, verdict, _seconds, what = [*line.split("\t"), "", "", ""][:4]
        if verdict not in ("killed", "SURVIVED"):
            continue
        outcome.mutants.append(mutant_id)
        outcome.described[mutant_id] = what
        if verdict == "SURVIVED":
            outcome.survived.append(mutant_id)
    return outcome


def run_ours(module: str, kind: str, tests: list[str], log: Path, extra: list[str]) -> Outcome:
    """Our mutator on ``module``'s module-level literals, one forked child per mutant."""
    tests = [*tests, *extra]
    work = scratch_copy(dotted(module) + "-" + kind)
    target = work / module
    source = (ROOT / module).read_text()
    _warm_up()
    outcome = Outcome()
    passed, baseline = _run_child(work, tests, timeout=600)
    with log.open("w") as out:
        if not passed:
            print(f"the tests fail without any mutant: see {log}", file=sys.stderr)
            out.write("the tests fail on the unmutated code\n")
            return outcome
        mutants = our_mutants(source, kind, module)
        for number, (mutant_id, what, mutated) in enumerate(mutants, 1):
            target.write_text(mutated)
            survived, seconds = _run_child(work, tests, timeout=baseline * 5 + 30)
            outcome.mutants.append(mutant_id)
            outcome.described[mutant_id] = what
            if survived:
                outcome.survived.append(mutant_id)
            verdict = "SURVIVED" if survived else "killed"
            out.write(f"{mutant_id}\t{verdict}\t{seconds:.1f}s\t{what}\n")
            out.flush()
            if sys.stderr.isatty():
                print(f"\r  {kind}: {number}/{len(mutants)}", end="", file=sys.stderr, flush=True)
        if sys.stderr.isatty():
            print(file=sys.stderr)
    target.write_text(source)
    return outcome


# --- scores ----------------------------------------------------------------------------


def equivalents() -> dict[str, str]:
    """Equivalent mutants by id, with their reason, from docs/development.md."""
    text = DOCS.read_text()
    section = text.split("### Equivalent mutants", 1)[-1]
    section = re.split(r"\n##+ ", section, maxsplit=1)[0]
    found = {}
    for match in re.finditer(r"^\|\s*`([^`]+)`\s*\|\s*(.+?)\s*\|\s*$", section, re.M):
        found[match.group(1)] = match.group(2)
    return found


def score(module: str, outcome: Outcome, listed: dict[str, str]) -> dict:
    equivalent = [m for m in outcome.survived if m in listed or m in outcome.case_only]
    for mutant_id in listed:
        if mutant_id in outcome.mutants and mutant_id not in outcome.survived:
            print(f"  {mutant_id} is listed as equivalent but was killed", file=sys.stderr)
    killed = len(outcome.mutants) - len(outcome.survived)
    real = len(outcome.mutants) - len(equivalent)
    return {
        "mutants": len(outcome.mutants),
        "killed": killed,
        "equivalent": len(equivalent),
        "score": round(killed / real, 4) if real else 1.0,
        "seconds": round(outcome.seconds, 1),
        "survived": {
            m: outcome.described.get(m, "") for m in outcome.survived if m not in equivalent
        },
        "equivalent_by_case": outcome.case_only,
    }


def mutate_module(path: str, entry: dict, options: argparse.Namespace, listed: dict) -> dict:
    """Run each engine of one module and score it."""
    print(f"{path}: mutating ({', '.join(entry['engines'])})", flush=True)
    outcome, clock = Outcome(), time.monotonic()
    for engine in entry["engines"]:
        if options.engine and engine not in options.engine:
            print(f"  {engine}: left out (--engine)")
            continue
        log = SCRATCH / f"{dotted(path)}-{engine}.log"
        # tests too slow under mutation (timing checks) are left out by name
        extra = [arg for test in entry.get("deselect", []) for arg in ("--deselect", test)]
        if engine == "mutmut":
            part = run_mutmut(path, entry["tests"], log, extra, rerun=not options.rescore)
        elif options.rescore:
            part = ours_from_log(log)
        else:
            part = run_ours(path, engine, entry["tests"], log, extra)
        outcome.mutants += part.mutants
        outcome.survived += part.survived
        outcome.case_only += part.case_only
        outcome.described.update(part.described)
    outcome.seconds = time.monotonic() - clock
    result = score(path, outcome, listed)
    for mutant_id, what in result["survived"].items():
        print(f"  survived: {mutant_id}  {what}", flush=True)
    return result


def in_parallel(paths: list[str], options: argparse.Namespace) -> dict[str, dict]:
    """One child run of this script per module, ``options.jobs`` at a time; each child
    works in its own scratch copies, so the modules do not share anything."""
    waiting, running, results = list(paths), [], {}
    while waiting or running:
        while waiting and len(running) < options.jobs:
            path = waiting.pop(0)
            out = SCRATCH / f"{dotted(path)}.json"
            out.unlink(missing_ok=True)
            command = [sys.executable, __file__, path, "--json", str(out)]
            command += ["--target", str(options.target)]
            command += ["--rescore"] if options.rescore else []
            command += [arg for engine in options.engine or () for arg in ("--engine", engine)]
            log = (SCRATCH / f"{dotted(path)}.out").open("w")
            running.append((path, out, log, subprocess.Popen(command, stdout=log, stderr=log)))
        time.sleep(1)
        for job in [job for job in running if job[3].poll() is not None]:
            running.remove(job)
            path, out, log, child = job
            log.close()
            print((SCRATCH / f"{dotted(path)}.out").read_text(), end="", flush=True)
            if not out.exists():
                code = child.returncode
                raise SystemExit(f"{path}: the run stopped before it scored (exit {code})")
            results.update(json.loads(out.read_text())["modules"])
    return {path: results[path] for path in paths if path in results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="modules to mutate (default: scripts/mutate.toml)")
    parser.add_argument("--json", type=Path, help="write the scores to this file")
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="score the last run of each module again (after editing the equivalents)",
    )
    parser.add_argument(
        "--engine", action="append", help="run only this engine (mutmut, sql, regex); repeatable"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="modules mutated at once (each takes one core)"
    )
    options = parser.parse_args(argv)
    table = tomllib.loads(CONFIG.read_text())["modules"]
    paths = options.paths or list(table)
    for path in paths:
        if path not in table:
            print(
                f"{path}: not in {CONFIG.name}, which says which tests exercise it", file=sys.stderr
            )
            return 2
    missing = [path for path in paths if not (ROOT / path).exists()]
    for path in missing:
        print(f"{path}: skipped, the module does not exist on this branch")
    paths = [path for path in paths if path not in missing]
    SCRATCH.mkdir(exist_ok=True)
    started = time.monotonic()
    if options.jobs > 1 and len(paths) > 1:
        results = in_parallel(paths, options)
    else:
        listed = equivalents()
        results = {path: mutate_module(path, table[path], options, listed) for path in paths}
    print()
    print(f"{'module':42} {'mutants':>7} {'killed':>6} {'equiv':>5} {'score':>7} {'time':>7}")
    for path, row in results.items():
        mark = "" if row["score"] >= options.target else "  < target"
        print(
            f"{path:42} {row['mutants']:7} {row['killed']:6} {row['equivalent']:5}"
            f" {row['score']:7.1%} {row['seconds']:6.0f}s{mark}"
        )
    print(f"total time {time.monotonic() - started:.0f}s")
    if options.json:
        options.json.write_text(json.dumps({"modules": results}, indent=2) + "\n")
    return 0 if all(row["score"] >= options.target for row in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
