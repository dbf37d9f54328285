"""The HTTP parts of ./scripts/bench: servers as subprocesses, signed-in clients, the pages
under load (B), the naive server (C), page latency during a purge (D), unlock (E) and
the hostile network (F)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import loadgen
from helpers import hostile
from helpers.forms import token_in
from helpers.live import LiveClient

from casework.rules import totp

ROOT = Path(__file__).resolve().parent.parent
COOKIE = "__Host-casework"
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A server process on 127.0.0.1 and where its output goes."""

    process: subprocess.Popen
    port: int
    cafile: str
    log: Path

    @property
    def target(self) -> loadgen.Target:
        return loadgen.Target("127.0.0.1", self.port, self.cafile)

    def client(self) -> LiveClient:
        return LiveClient("127.0.0.1", self.port, self.cafile)

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmHWM in /proc: peak memory needs Linux")

    def reset_peak(self) -> float:
        """Start VmHWM afresh (Linux: clear_refs 5); return the peak until now."""
        before = self.peak_rss_mb()
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        return before

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(command: list[str], instance: Path, passphrase: str | None, log: Path) -> Server:
    """Start a server command (``--port`` is added) and wait until it serves."""
    port = free_port()
    seen = log.stat().st_size if log.exists() else 0  # only this start's output counts
    stdin = subprocess.PIPE if passphrase is not None else subprocess.DEVNULL
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            stdin=stdin, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    if passphrase is not None:
        process.stdin.write(f"{passphrase}\n".encode())
        process.stdin.close()
    server = Server(process, port, str(instance / "tls" / "cert.pem"), log)
    deadline = time.monotonic() + START_SECONDS
    while b"is serving on" not in log.read_bytes()[seen:]:
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the server did not start: see {log}\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
    return server


def casework_serve(instance: Path, passphrase: str | None, log: Path) -> Server:
    """``casework serve`` exactly as an operator runs it (TLS on, the config's threads)."""
    command = [sys.executable, "-m", "casework", "--instance", str(instance), "serve"]
    if passphrase is not None:
        command.append("--passphrase-stdin")
    return start(command, instance, passphrase, log)


def naive_serve(instance: Path, passphrase: str, log: Path) -> Server:
    script = ROOT / "scripts" / "bench_naive.py"
    command = [sys.executable, str(script), "--instance", str(instance)]
    return start(command, instance, passphrase, log)


def sign_in(server: Server, account: dict, csrf_page: str | None) -> loadgen.Client:
    """Sign in through the forms (password, then a TOTP code for coordinators); return
    the session cookie and a CSRF token read from ``csrf_page`` once signed in."""
    client = server.client()
    try:
        fields = {"handle": account["handle"], "password": account["password"]}
        status, _ = client.post("/signin", fields)
        if account["totp_secret"]:
            secret = totp.base32_to_secret(account["totp_secret"])
            code = totp.code_at(secret, time.time())
            status, _ = client.post("/signin/code", {"code": code})
        if status != 302 or COOKIE not in client.cookies:
            raise RuntimeError(f"signing in {account['handle']} failed ({status})")
        csrf = ""
        if csrf_page is not None:
            csrf = loadgen_csrf(client.get(csrf_page)[1])
        return loadgen.Client(cookie=f"{COOKIE}={client.cookies[COOKIE]}", csrf=csrf)
    finally:
        client.close()


def loadgen_csrf(page: str) -> str:
    token = token_in(page)
    if token is None:
        raise RuntimeError("no CSRF token on the page")
    return token


def sign_in_all(server: Server, accounts: list[dict], csrf_pages: list) -> list:
    return [sign_in(server, a, csrf_pages[i % len(csrf_pages)]) for i, a in enumerate(accounts)]


def get(path: str):
    return lambda _index, _number, _client: ("GET", path, None)


def one_of(paths: list[str]):
    rng = random.Random(11)
    chosen = [rng.choice(paths) for _ in range(4096)]
    return lambda index, number, _client: ("GET", chosen[(index * 131 + number) % 4096], None)


def sign_up_plan(tokens_by_client: list[list[str]]):
    """Sign up, then withdraw, on each client's own open tasks in turn."""

    def plan(index, number, _client):
        own = tokens_by_client[index % len(tokens_by_client)]
        token = own[(number // 2) % len(own)]
        action = "signup" if number % 2 == 0 else "withdraw"
        return "POST", f"/tasks/{token}/{action}", {}

    return plan


def only_sign_ups(result: dict) -> dict:
    """The sign-up plan alternates sign-up and withdrawal: half the requests are sign-ups."""
    return {**result, "rps": round(result["rps"] / 2, 1)}


def _timed_unlock(server: Server, action: str, form: dict, first_page: str) -> float:
    """From POSTing ``form`` to ``action`` on the sealed page to ``first_page`` served."""
    client = server.client()
    try:
        status, page = client.get("/signin")
        if status != 503:
            raise RuntimeError(f"the server did not start sealed ({status})")
        started = time.perf_counter()
        status, _ = client.request("POST", action, {**form, "csrf_token": loadgen_csrf(page)})
        if status != 302:
            raise RuntimeError(f"unlocking with {action} failed ({status})")
        status, _ = client.get(first_page)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"no page after unlocking ({status})")
        return elapsed
    finally:
        client.close()


def unlock_seconds(server: Server, passphrase: str) -> float:
    """E: the operator passphrase on the sealed page, to the sign-in page."""
    return _timed_unlock(server, "/unlock", {"passphrase": passphrase}, "/signin")


def coordinator_unlock_seconds(server: Server, account: dict) -> float:
    """G: a coordinator's sign-in on the sealed page, to their first page."""
    secret = totp.base32_to_secret(account["totp_secret"])
    form = {
        "handle": account["handle"],
        "password": account["password"],
        # The next step: part B's sign-ins may have used this one (a code works once).
        "code": totp.code_at(secret, time.time() + totp.TIME_STEP),
    }
    return _timed_unlock(server, "/unlock/coordinator", form, "/")


def latency_during(server: Server, clients: list, work, seconds: float) -> dict:
    """The worst volunteer-home latency over ``seconds`` while ``work()`` runs inside them."""
    result, failure, lead = {}, [], 0.5

    def run_work() -> None:
        time.sleep(lead)  # the page loop is going before the work starts
        started = time.perf_counter()
        try:
            result.update(work())
        except BaseException as exc:  # reported below, not swallowed
            failure.append(exc)
        result["work_seconds"] = round(time.perf_counter() - started, 3)

    thread = threading.Thread(target=run_work)
    thread.start()
    pages = loadgen.run(server.target, clients, get("/"), seconds, processes=2)
    thread.join()
    if failure:
        raise failure[0]
    result["covered"] = lead + result["work_seconds"] <= seconds
    return {"pages": pages, **result}


# F: hostile devices on the same network, from 8 loopback addresses (28 each, under the
# per-address cap), against the server that served B.
HOSTILE_CLIENTS = 8
HOSTILE = {"slow_header": 64, "slow_body": 64, "silent": 64, "stalled_handshake": 32}
HOSTILE_SOURCES = [f"127.0.0.{n}" for n in range(2, 10)]
BURST_ATTEMPTS = 10_000
BURST_SOURCES = [f"127.0.1.{n}" for n in range(1, 51)]
CAP_PROBE_EXTRA = 16


def hostile_network(server: Server, clients: list, seconds: float, per_address: int) -> dict:
    """Volunteer home for ``clients`` alone, then with the stalled connections held open,
    then during a burst of connection attempts; what the caps refused; tracebacks."""
    seen = server.log.stat().st_size
    alone = loadgen.run(server.target, clients, get("/"), seconds)
    swarm = hostile.Swarm(server.port, HOSTILE, HOSTILE_SOURCES).start()
    try:
        held = swarm.open_count()
        loaded = loadgen.run(server.target, clients, get("/"), seconds)
        held_after = swarm.open_count()
        attempts = per_address + CAP_PROBE_EXTRA
        refused = hostile.refused_beyond_cap(server.port, "127.0.0.200", attempts)
    finally:
        swarm_stats = swarm.stop()
    during = latency_during(
        server,
        clients,
        lambda: hostile.burst(server.port, BURST_ATTEMPTS, seconds, BURST_SOURCES),
        seconds,
    )
    output = server.log.read_bytes()[seen:].decode("utf-8", "replace")
    return {
        "clients": len(clients),
        "alone": alone,
        "loaded": loaded,
        "p95_ratio": round(loaded["p95_ms"] / alone["p95_ms"], 2) if alone["p95_ms"] else None,
        "held": {"wanted": sum(HOSTILE.values()), "at_start": held, "at_end": held_after},
        "swarm": swarm_stats,
        "cap_probe": {"attempts": attempts, "cap": per_address, "refused": refused},
        "burst": {
            "pages": during["pages"],
            **{k: v for k, v in during.items() if k not in ("pages", "covered")},
        },
        "tracebacks": output.count("Traceback"),
    }
