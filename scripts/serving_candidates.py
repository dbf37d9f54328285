#!/usr/bin/env python
"""How the candidate servers of docs/serving.md stand up to a hostile network, on a
trivial WSGI app over TLS (so the server is measured, not casework): the ceiling for 8
clients, the same with 16 connections of each stalled kind held open, and the memory a
100 MB header costs. Not part of ./scripts/bench; the candidates are not dependencies:

    python3 -m venv /tmp/cand && /tmp/cand/bin/pip install granian hypercorn uvicorn a2wsgi
    .venv/bin/python scripts/serving_candidates.py --candidates-bin /tmp/cand/bin

Loopback only; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests")]

import loadgen  # noqa: E402
from helpers import hostile  # noqa: E402

from casework import server  # noqa: E402

APP = """
PAGE = b"<!doctype html><p>" + b"x" * 4000 + b"</p>"
def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(PAGE)))])
    return [PAGE]
try:
    from a2wsgi import WSGIMiddleware
    asgi = WSGIMiddleware(app, workers=4)
except ImportError:
    pass
"""
CHEROOT = """
import sys; sys.path.insert(0, sys.argv[4])
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from probe_app import app
httpd = wsgi.Server(("127.0.0.1", int(sys.argv[1])), app, numthreads=4)
httpd.ssl_adapter = BuiltinSSLAdapter(sys.argv[2], sys.argv[3])
httpd.safe_start()
"""
FRONT = """
import sys; sys.path.insert(0, sys.argv[4])
from casework.serving import Front, Limits
from casework.serving.front import tls_context
from probe_app import app
tls = tls_context(sys.argv[2], sys.argv[3])
Front(app, "127.0.0.1", int(sys.argv[1]), 4, Limits(), tls).serve()
"""


def commands(bin_dir: Path, port: int, cert: str, key: str, where: str) -> dict:
    py = sys.executable
    return {
        "cheroot (today)": [py, "-c", CHEROOT, str(port), cert, key, where],
        "asyncio front (casework.serving)": [py, "-c", FRONT, str(port), cert, key, where],
        "granian": [str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
                    "--port", str(port), "--workers", "1", "--blocking-threads", "4",
                    "--ssl-certificate", cert, "--ssl-keyfile", key, "probe_app:app"],
        "hypercorn": [str(bin_dir / "hypercorn"), "--bind", f"127.0.0.1:{port}",
                      "--certfile", cert, "--keyfile", key, "probe_app:app"],
        "uvicorn + a2wsgi": [str(bin_dir / "uvicorn"), "--host", "127.0.0.1", "--port",
                             str(port), "--ssl-certfile", cert, "--ssl-keyfile", key,
                             "probe_app:asgi"],
    }  # fmt: skip


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (granian runs its worker apart)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def wait_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the candidate did not start")


def huge_header(port: int, megabytes: int = 100) -> dict:
    sock = hostile.tls_context().wrap_socket(hostile.connect(port, "127.0.0.1", timeout=20))
    sent, answer = 0, b""
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Huge: ")
        while sent < megabytes * 2**20:
            sock.sendall(b"b" * 65536)
            sent += 65536
        sock.sendall(b"\r\n\r\n")
        answer = sock.recv(64)
    except OSError:
        pass
    finally:
        sock.close()
    return {"sent_mb": round(sent / 2**20, 1), "answer": answer[:12].decode("latin-1")}


def measure(name: str, command: list[str], port: int, cafile: str, seconds: float, where: str):
    env = {**os.environ, "PYTHONPATH": f"{where}:{ROOT}"}
    process = subprocess.Popen(command, cwd=where, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_port(port)
        target = loadgen.Target("127.0.0.1", port, cafile)
        clients = [loadgen.Client() for _ in range(8)]
        plan = lambda _i, _n, _c: ("GET", "/", None)  # noqa: E731
        alone = loadgen.run(target, clients, plan, seconds)
        counts = dict.fromkeys(hostile.KINDS, 16)
        swarm = hostile.Swarm(port, counts, ["127.0.0.2", "127.0.0.3"]).start(settle=15)
        held = swarm.open_count()
        loaded = loadgen.run(target, clients, plan, seconds)
        swarm.stop()
        before = rss_mb(process.pid)
        header = huge_header(port)
        time.sleep(1)
        grew = round(rss_mb(process.pid) - before, 1)
        return {"alone": alone, "held": held, "loaded": loaded, "huge_header": header,
                "rss_growth_mb": grew}  # fmt: skip
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates-bin", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--only", action="append", help="measure only these (by name)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casework-candidates-") as folder:
        where = Path(folder)
        (where / "probe_app.py").write_text(APP)
        cert, key = (str(p) for p in server.tls_paths(where))
        server.make_certificate(where)
        results = {}
        for name in commands(args.candidates_bin, 0, cert, key, str(where)):
            if args.only and not any(o in name for o in args.only):
                continue
            port = hostile_free_port()
            command = commands(args.candidates_bin, port, cert, key, str(where))[name]
            results[name] = measure(name, command, port, cert, args.seconds, str(where))
            r = results[name]
            print(f"{name:34} alone {r['alone']['rps']:7} req/s p95 {r['alone']['p95_ms']:7} ms"
                  f" | 64 stalled held {r['held']:3}: {r['loaded']['rps']:7} req/s"
                  f" p95 {r['loaded']['p95_ms']} ms errors {r['loaded']['errors']}"
                  f" | 100 MB header: sent {r['huge_header']['sent_mb']} MB,"
                  f" answer {r['huge_header']['answer']!r}, RSS +{r['rss_growth_mb']} MB",
                  flush=True)  # fmt: skip
    print(json.dumps(results, indent=1))


def hostile_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    main()
