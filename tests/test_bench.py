"""./scripts/bench at a small scale: its JSON is complete and nothing failed (not timed)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("volunteer_home", "board", "case_page", "sign_up", "ceiling")
STORE_FUNCTIONS = (
    "boards.my_next_tasks", "boards.open_for", "boards.urgent_open_count",
    "boards.needs_people", "boards.follow_ups", "boards.dormant_cases", "cases.by_code",
    "cases.tasks_of", "tasks.create", "staffing.take_place+leave",
)  # fmt: skip


def number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--scale", "small",
         "--seconds", "0.5", "--clients", "4", "--json", str(out)],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "A. store functions" in done.stdout  # the table
    return json.loads(out.read_text())


def test_top_level_keys(figures):
    for key in ("scale", "machine", "store", "http", "naive", "purge", "unlock_seconds",
                "peak_rss_mb", "share_of_ceiling", "purge_latency_ms"):  # fmt: skip
        assert key in figures
    assert figures["scale"] == "small"
    for key in ("cpu", "cores", "memory_gb", "python", "sqlcipher", "os"):
        assert figures["machine"][key]


def test_store_figures(figures):
    assert set(STORE_FUNCTIONS) <= set(figures["store"])
    for name, f in figures["store"].items():
        assert all(number(f[k]) for k in ("keyed_ms", "unkeyed_ms", "ratio")), name


@pytest.mark.parametrize("page", PAGES)
def test_page_figures_and_no_errors(figures, page):
    h = figures["http"][page]
    assert all(number(h[k]) for k in ("rps", "p50_ms", "p95_ms", "p99_ms")), h
    assert h["rps"] > 0 and h["errors"] == 0 and h["unexpected"] == 0, h


def test_naive_purge_unlock_memory(figures):
    naive, purge = figures["naive"], figures["purge"]
    assert number(naive["rps"]) and naive["rps"] > 0 and number(naive["ratio"])
    assert naive["errors"] == 0 and naive["unexpected"] == 0
    assert number(purge["seconds"]) and purge["outcome"] == "done"
    assert set(purge["steps"]) == {"delete", "checkpoint", "vacuum", "final_checkpoint"}
    assert all(number(s) for s in purge["steps"].values())
    assert 0.2 <= purge["removed_share"]["tasks"] <= 0.6  # about 30% was aimed at
    assert number(figures["purge_latency_ms"])
    during = figures["purge_during_pages"]
    assert during["purge_outcome"] == "done" and during["covered"]
    assert during["pages"]["errors"] == 0 and during["pages"]["unexpected"] == 0
    assert number(figures["unlock_seconds"]) and figures["unlock_seconds"] > 0
    assert number(figures["peak_rss_mb"]) and figures["peak_rss_mb"] > 0


def test_report_marks_targets_only_at_medium_and_p95_against_medium(figures):
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_report

    worse = json.loads(json.dumps(figures))
    worse["store"]["tasks.create"]["ratio"] = bench_report.STORE_RATIO + 1
    worse["scale"] = "medium"
    assert "MISSED" in bench_report.table(worse)
    worse["scale"] = "large"
    assert "MISSED" not in bench_report.table(worse)
    assert "targets are for medium scale" in bench_report.table(worse)

    # The large-scale target: each p95 within 2x of the medium run's.
    medium = json.loads(json.dumps(figures))
    worse["p95_vs_medium"] = bench_report.p95_against(worse, medium)
    assert set(worse["p95_vs_medium"]) == set(PAGES)
    assert all(ratio == 1 for ratio in worse["p95_vs_medium"].values())
    assert bench_report.table(worse).splitlines()[-1].endswith("ok")
    for h in medium["http"].values():
        h["p95_ms"] /= 3
    worse["p95_vs_medium"] = bench_report.p95_against(worse, medium)
    assert bench_report.table(worse).splitlines()[-1].endswith("MISSED")
