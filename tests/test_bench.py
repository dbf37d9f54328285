"""./scripts/bench at a small scale: its JSON is complete, its figures are sane (positive,
ordered percentiles, counts that match the scale and each other) and nothing failed.
The speed itself is not judged here: that is the benchmark's own report."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECONDS, CLIENTS, SMALL_CASES = 0.5, 4, 50  # what the run below asks; "small" is 50 cases
PAGES = ("volunteer_home", "board", "case_page", "sign_up", "ceiling")
STORE_FUNCTIONS = (
    "boards.my_next_tasks", "boards.open_for", "boards.urgent_open_count",
    "boards.needs_people", "boards.follow_ups", "boards.dormant_cases", "cases.by_code",
    "cases.tasks_of", "tasks.create", "staffing.take_place+leave",
)  # fmt: skip


pytestmark = pytest.mark.slow


def number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def positive(value) -> bool:
    return number(value) and value > 0


def close(a: float, b: float, within: float) -> bool:
    """Equal but for the rounding the report applies (``within``, relative)."""
    return abs(a - b) <= within * max(abs(a), abs(b))


def sane_latencies(h: dict) -> None:
    """Positive, ordered percentiles, and every request counted under one status."""
    assert all(positive(h[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")), h
    assert h["p50_ms"] <= h["p95_ms"] <= h["p99_ms"] <= h["max_ms"], h
    assert isinstance(h["requests"], int) and h["requests"] > 0, h
    assert sum(h["statuses"].values()) == h["requests"], h


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--scale", "small",
         "--seconds", str(SECONDS), "--clients", str(CLIENTS), "--json", str(out)],
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
    assert figures["clients"] == CLIENTS and figures["seconds_per_page"] == SECONDS
    machine = figures["machine"]
    for key in ("cpu", "python", "sqlcipher", "os"):
        assert isinstance(machine[key], str) and machine[key].strip(), key
    assert isinstance(machine["cores"], int) and machine["cores"] >= 1
    assert positive(machine["memory_gb"])
    assert machine["python"] == ".".join(map(str, sys.version_info[:3]))


def test_the_store_matches_the_scale(figures):
    demo = figures["demo"]
    assert demo["cases"] == SMALL_CASES
    assert demo["tasks"] >= demo["cases"] and demo["people"] > 0 and demo["assignments"] > 0
    assert figures["purge"]["rows_before"] == {
        key: demo[key] for key in ("cases", "tasks", "assignments")
    }


def test_store_figures(figures):
    assert set(STORE_FUNCTIONS) <= set(figures["store"])
    for name, f in figures["store"].items():
        assert all(positive(f[k]) for k in ("keyed_ms", "unkeyed_ms", "ratio")), name
        # The times are rounded to 0.001 ms: the ratio of the rounded figures is only as
        # precise as that (a 0.005 / 0.004 ms pair can stand for any ratio near 1.0-1.5).
        low = max(f["keyed_ms"] - 0.0005, 0) / (f["unkeyed_ms"] + 0.0005)
        high = (f["keyed_ms"] + 0.0005) / max(f["unkeyed_ms"] - 0.0005, 1e-9)
        assert low * 0.99 <= f["ratio"] <= high * 1.01, (name, f)


@pytest.mark.parametrize("page", PAGES)
def test_page_figures_and_no_errors(figures, page):
    h = figures["http"][page]
    assert all(number(h[k]) for k in ("rps", "p50_ms", "p95_ms", "p99_ms")), h
    assert h["rps"] > 0 and h["errors"] == 0 and h["unexpected"] == 0, h
    sane_latencies(h)
    # Sign-ups are half of their plan's requests (the other half withdraw).
    answered = h["requests"] / (2 if page == "sign_up" else 1)
    assert close(h["rps"], answered / SECONDS, 0.5), h  # timed, so only roughly the count
    assert set(h["statuses"]) == ({"302"} if page == "sign_up" else {"200"}), h
    if page != "ceiling":
        share = figures["share_of_ceiling"][page]
        # Rounded to 0.001: compare within that, not relatively (a share can be 0.01).
        assert abs(share - h["rps"] / figures["http"]["ceiling"]["rps"]) <= 0.0006, share


def test_naive_purge_unlock_memory(figures):
    naive, purge = figures["naive"], figures["purge"]
    assert number(naive["rps"]) and naive["rps"] > 0 and number(naive["ratio"])
    assert naive["errors"] == 0 and naive["unexpected"] == 0
    sane_latencies(naive)
    volunteer_home = figures["http"]["volunteer_home"]["rps"]
    assert close(naive["ratio"], volunteer_home / naive["rps"], 0.05), naive
    assert positive(purge["seconds"]) and purge["outcome"] == "done"
    assert set(purge["steps"]) == {"delete", "checkpoint", "vacuum", "final_checkpoint"}
    assert all(positive(s) for s in purge["steps"].values())
    assert sum(purge["steps"].values()) <= purge["seconds"] * 1.05 + 0.002, purge
    assert 0.2 <= purge["removed_share"]["tasks"] <= 0.6  # about 30% was aimed at
    assert purge["writes"] > 0 and purge["writes_refused"] == 0
    assert 0 < purge["worst_write_wait_s"] < 5 and positive(purge["seconds_with_writes"])
    assert all(0 <= share <= 1 for share in purge["removed_share"].values()), purge
    assert positive(figures["purge_latency_ms"])
    during = figures["purge_during_pages"]
    assert during["purge_outcome"] == "done" and during["covered"]
    assert during["pages"]["errors"] == 0 and during["pages"]["unexpected"] == 0
    sane_latencies(during["pages"])
    assert during["pages"]["max_ms"] == figures["purge_latency_ms"]  # the worst page
    assert positive(during["purge_seconds"]) and positive(during["work_seconds"])
    assert number(figures["unlock_seconds"]) and figures["unlock_seconds"] > 0
    assert number(figures["peak_rss_mb"]) and figures["peak_rss_mb"] > 0
    assert positive(figures["startup_peak_rss_mb"]) and positive(figures["bench_seconds"])


def test_key_slot_figures(figures):
    g = figures["key_slots"]
    assert g["coordinator_slots"] == 20
    assert positive(g["coordinator_unlock_seconds"]) and positive(g["rotation_seconds"])


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
