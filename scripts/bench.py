#!/usr/bin/env python
"""How fast casework is on this machine, what encryption costs it, how far it is from the
server's own ceiling, and how much better it is than the naive way (./scripts/bench).

Builds a synthetic demo store in a temporary instance, then measures in one run:
A. store functions behind the main pages, keyed store vs the same data unkeyed;
B. pages over HTTPS from `casework serve` under 16 signed-in clients, and /healthz;
C. the volunteer home served the naive way (a passphrase-keyed connection per request);
D. a purge of about 30% of the tasks, and page latency while a purge runs;
E. unlock to first page, and the server's peak memory during B;
F. the volunteer home under a hostile network (stalled connections of every kind);
G. unsealing with 20 coordinator slots, and a rotation of the master key;
F. the volunteer home for 8 clients alone, then with 224 stalled connections held open
   (slow heads, slow bodies, silent TCP, stalled TLS handshakes), then during a burst of
   10,000 connection attempts; what the connection caps refused.
Prints a table; --json writes the same figures. Everything is deleted afterwards.

Example: ./scripts/bench --scale medium --seconds 10 --json bench.json
         ./scripts/bench --scale large --against bench.json   (each p95 against medium)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests")]

import bench_http as web  # noqa: E402
import bench_report  # noqa: E402
import bench_store as st  # noqa: E402

from casework import config  # noqa: E402
from casework.store import db, retention  # noqa: E402
from casework.store.retention_rules import RULES  # noqa: E402
from casework.vault import keys, slots  # noqa: E402
from casework.vault.store import Store  # noqa: E402

PASSPHRASE = "bench: a synthetic store, deleted afterwards"  # noqa: S105  (bench only)
# Only the demo accounts' password hashes are cheap (so that signing in hundreds of
# clients takes seconds); the store's key derivation and everything else are the defaults.
BENCH_CONFIG = "[passwords]\ntime_cost = 1\nmemory_kib = 8\nparallelism = 1\n"
DAY = 86_400
COORDINATOR_SLOTS = 20


def build(instance: Path, scale: str) -> dict:
    """`casework demo` in a new instance; returns its JSON (counts and accounts)."""
    instance.mkdir()
    (instance / config.CONFIG_FILE).write_text(BENCH_CONFIG)
    done = subprocess.run(
        [sys.executable, "-m", "casework", "--instance", str(instance), "demo",
         "--scale", scale, "--json", "--passphrase-stdin"],
        input=f"{PASSPHRASE}\n", capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"casework demo failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo")
         if line.startswith("model name")), platform.processor() or "unknown",
    )  # fmt: skip
    kib = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if "MemTotal" in line), 0)
    conn = db.connect(":memory:", None)
    try:
        sqlcipher = conn.execute("PRAGMA cipher_version").fetchone()[0]
    finally:
        conn.close()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(kib / 2**20, 1),
        "python": platform.python_version(),
        "sqlcipher": sqlcipher,
        "os": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def store_part(tmp: Path, instance: Path, key: bytearray, settings: dict) -> tuple[dict, dict]:
    """A and D, on copies of the built store (deleted as soon as measured)."""
    source, now = instance / "casework.db", int(time.time())
    keyed = st.copy_store(source, tmp / "a-keyed.db")
    plain = st.plaintext_copy(keyed, key, tmp / "a-plain.db")
    store = st.measure_store(keyed, plain, key, now, settings)
    for path in (keyed, plain):
        _remove(path)
    copy = st.copy_store(source, tmp / "d-purge.db")
    purge = st.measure_purge(copy, key, now, settings)
    _remove(copy)
    return store, purge


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-purge.lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def page_inputs(path: Path, key: bytearray, now: int, clients: int) -> dict:
    """Real case codes and, per sign-up client, open tasks with places left."""
    conn = db.connect(path, key)
    try:
        codes = [r[0] for r in conn.execute("SELECT code FROM cases WHERE state = 'open'")]
        tasks = [
            r[0]
            for r in conn.execute(
                "SELECT t.token FROM tasks t JOIN cases c ON c.id = t.case_id"
                " WHERE t.state = 'open' AND c.state = 'open' AND t.starts_at > ?"
                " AND (SELECT count(*) FROM assignments a WHERE a.task_id = t.id)"
                " < t.people_needed ORDER BY t.starts_at DESC LIMIT ?",
                (now + 7 * DAY, clients * 4),
            )
        ]
    finally:
        conn.close()
    if not codes or len(tasks) < clients:
        raise SystemExit("the demo store has too few open cases or tasks for the bench")
    return {"codes": codes, "tokens": [tasks[i::clients] for i in range(clients)]}


def http_part(tmp: Path, instance: Path, key: bytearray, demo: dict, args) -> dict:
    """B, the naive copy for C, and page latency during a purge (D), on one server."""
    log = tmp / "serve.log"
    server = web.casework_serve(instance, PASSPHRASE, log)
    try:
        inputs = page_inputs(instance / "casework.db", key, int(time.time()), args.clients)
        volunteers = [a for a in demo["accounts"] if a["role"] == "volunteer"][: args.clients]
        coordinators = [a for a in demo["accounts"] if a["role"] == "coordinator"]
        task_pages = [f"/tasks/{own[0]}" for own in inputs["tokens"]]
        vols = web.sign_in_all(server, volunteers, task_pages)
        coords = web.sign_in_all(server, coordinators[: args.clients], ["/"])
        coords = [coords[i % len(coords)] for i in range(args.clients)]  # shared sessions
        anonymous = [web.loadgen.Client() for _ in range(args.clients)]
        case_paths = [f"/cases/{code}" for code in inputs["codes"]]
        runs = {
            "ceiling": (anonymous, web.get("/healthz")),
            "volunteer_home": (vols, web.get("/")),
            "board": (coords, web.get("/")),
            "case_page": (coords, web.one_of(case_paths)),
            "sign_up": (vols, web.sign_up_plan(inputs["tokens"])),
        }
        # Peak memory during B only: the purge run at unlock has its own peak (VACUUM).
        startup_peak = server.reset_peak()
        http = {}
        for page, (clients, plan) in runs.items():
            result = web.loadgen.run(server.target, clients, plan, args.seconds)
            http[page] = checked(result, "302" if page == "sign_up" else "200")
        http["sign_up"] = web.only_sign_ups(http["sign_up"])
        peak = server.peak_rss_mb()
        per_address = config.load(instance)["serving.max_connections_per_address"]
        hostile = web.hostile_network(
            server, vols[: web.HOSTILE_CLIENTS], args.seconds, per_address
        )
        naive_copy(instance, tmp / "naive", key)
        during = purge_during(server, instance, key, vols[:4], args.purge_window)
    finally:
        server.stop()
    return {
        "http": http,
        "peak_rss_mb": peak,
        "startup_peak_rss_mb": startup_peak,
        "during": during,
        "hostile": hostile,
    }


def checked(result: dict, expected: str = "200") -> dict:
    """Count answers other than the page (or, for POSTs, its redirect) as unexpected."""
    result["unexpected"] = sum(n for s, n in result["statuses"].items() if s != expected)
    return result


def naive_copy(instance: Path, naive: Path, key: bytearray) -> None:
    """The served store (as B left it) re-keyed with the passphrase, with the same TLS
    certificate and config, for the naive server."""
    naive.mkdir()
    shutil.copytree(instance / "tls", naive / "tls")
    shutil.copyfile(instance / config.CONFIG_FILE, naive / config.CONFIG_FILE)
    st.passphrase_copy(instance / "casework.db", key, PASSPHRASE, naive / "casework.db")


def purge_during(server, instance: Path, key: bytearray, clients: list, seconds: float) -> dict:
    """Volunteer-home latency while a purge of ~30% runs on the served store's file.

    There is no route that starts a purge: it runs here, on the same file with the same
    locks as the server's scheduled purge. Its clock is moved days ahead so that ~30% is
    due, so the sessions rule is left out: it would sign the measuring clients out.
    """
    settings = config.load(instance)
    rules = tuple(rule for rule in RULES if rule.kind != "sessions")

    def work() -> dict:
        conn = db.connect(instance / "casework.db", key)
        try:
            at = st.purge_now(conn, int(time.time()), settings)
            report = retention.purge(conn, at, settings, rules=rules)
        finally:
            conn.close()
        return {"purge_seconds": round(report.seconds, 3), "purge_outcome": report.outcome}

    during = web.latency_during(server, clients, work, seconds)
    checked(during["pages"])
    return during


def naive_part(tmp: Path, demo: dict, args) -> dict:
    """C: the volunteer home from the naive server (signed in to separately)."""
    naive = tmp / "naive"
    server = web.naive_serve(naive, PASSPHRASE, tmp / "naive.log")
    try:
        volunteers = [a for a in demo["accounts"] if a["role"] == "volunteer"][: args.clients]
        clients = web.sign_in_all(server, volunteers, [None])
        return checked(web.loadgen.run(server.target, clients, web.get("/"), args.seconds))
    finally:
        server.stop()


def unlock_part(tmp: Path, instance: Path) -> float:
    """E: start sealed, unlock from the browser form, first page."""
    server = web.casework_serve(instance, None, tmp / "sealed.log")
    try:
        return web.unlock_seconds(server, PASSPHRASE)
    finally:
        server.stop()


def slots_part(tmp: Path, instance: Path, demo: dict) -> dict:
    """G: a sealed server with 20 coordinator slots unsealed by a coordinator's sign-in
    (slots at the production Argon2id cost), and a rotation of the master key (all slots
    resealed, every page re-encrypted) on the store at this scale."""
    coordinators = [a for a in demo["accounts"] if a["role"] == "coordinator"]
    store = Store(instance)
    store.unlock(store.derive(PASSPHRASE))
    try:
        stand_ins = [
            (slots.coordinator(f"stand-in-{n}", secrets.token_urlsafe(16)), None, None)
            for n in range(COORDINATOR_SLOTS - len(coordinators))
        ]
        store.add_slots(stand_ins, keys.KdfParams())
        count = len(store.slot_file.of_kind(slots.COORDINATOR))
        started = time.perf_counter()
        store.rotate()
        rotation = time.perf_counter() - started
    finally:
        store.lock()
    server = web.casework_serve(instance, None, tmp / "sealed-slots.log")
    try:
        unlock = web.coordinator_unlock_seconds(server, coordinators[-1])
    finally:
        server.stop()
    return {
        "coordinator_slots": count,
        "coordinator_unlock_seconds": round(unlock, 3),
        "rotation_seconds": round(rotation, 3),
    }


def run(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as folder:
        tmp = Path(folder)
        instance = tmp / "instance"
        started = time.monotonic()
        demo = build(instance, args.scale)
        settings = config.load(instance)
        key = Store(instance).derive(PASSPHRASE)
        store, purge = store_part(tmp, instance, key, settings)
        if args.purge_window is None:  # long enough to cover the same purge, served
            args.purge_window = max(3.0, 2 * purge["seconds"] + 2)
        served = http_part(tmp, instance, key, demo, args)
        naive = naive_part(tmp, demo, args)
        unlock = unlock_part(tmp, instance)
        key_slots = slots_part(tmp, instance, demo)
    http = served["http"]
    ceiling = http["ceiling"]["rps"] or 1
    return {
        "scale": args.scale,
        "machine": machine(),
        "clients": args.clients,
        "seconds_per_page": args.seconds,
        "demo": demo["counts"],
        "store": store,
        "http": http,
        "share_of_ceiling": {
            page: round(http[page]["rps"] / ceiling, 3) for page in http if page != "ceiling"
        },
        "naive": {
            **naive,
            "ratio": round(http["volunteer_home"]["rps"] / naive["rps"], 1)
            if naive["rps"]
            else None,
        },
        "hostile_network": served["hostile"],
        "purge": purge,
        "purge_latency_ms": served["during"]["pages"]["max_ms"],
        "purge_during_pages": served["during"],
        "unlock_seconds": round(unlock, 3),
        "key_slots": key_slots,
        "peak_rss_mb": served["peak_rss_mb"],
        "startup_peak_rss_mb": served["startup_peak_rss_mb"],
        "bench_seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--seconds", type=float, default=10, help="per page under load")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--against", type=Path, help="a medium run's JSON: compare each page's p95 with it"
    )
    parser.add_argument("--clients", type=int, default=16, help=argparse.SUPPRESS)
    parser.add_argument("--purge-window", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    medium = json.loads(args.against.read_text()) if args.against else None  # fail early
    results = run(args)
    if medium is not None:
        results["p95_vs_medium"] = bench_report.p95_against(results, medium)
    print(bench_report.table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
