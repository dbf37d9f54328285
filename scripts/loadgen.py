"""Closed-loop HTTP load against a server on this machine, for ./scripts/bench.

Clients run as threads spread over a few processes (one Python process alone would
measure its own interpreter lock, not the server). Each client keeps one TLS
connection alive, carries its own session cookie, and loops until the deadline.
"""

from __future__ import annotations

import http.client
import multiprocessing
import ssl
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

# plan(client index, request number, client) -> (method, path, form or None)
Plan = Callable[[int, int, "Client"], tuple[str, str, dict | None]]


@dataclass
class Client:
    """What one simulated person sends: a cookie header and a CSRF token for POSTs."""

    cookie: str = ""
    csrf: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Target:
    host: str
    port: int
    cafile: str | None  # None: plain HTTP (the naive comparison on loopback uses TLS too)


def _connection(target: Target) -> http.client.HTTPConnection:
    if target.cafile is None:
        return http.client.HTTPConnection(target.host, target.port, timeout=30)
    context = ssl.create_default_context(cafile=target.cafile)
    context.check_hostname = False  # the bench talks to 127.0.0.1; the cert names the host
    return http.client.HTTPSConnection(target.host, target.port, context=context, timeout=30)


def _one_client(target, client, plan, seconds, results, index) -> None:
    conn = _connection(target)
    latencies, errors, deadline, number = [], 0, time.monotonic() + seconds, 0
    statuses: dict[int, int] = {}
    while time.monotonic() < deadline:
        method, path, form = plan(index, number, client)
        number += 1
        headers = {"Cookie": client.cookie, "Accept-Language": "en"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrf_token": client.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 599
            conn.close()
            conn = _connection(target)
        elapsed = (time.perf_counter() - started) * 1000
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            errors += 1
        else:
            latencies.append(elapsed)
        if form is not None and 300 <= status < 400:
            # A browser follows the redirect (and shows the flashed message, which would
            # otherwise pile up in the session): do the same, untimed.
            conn, status = _follow(conn, target, response.getheader("Location", "/"), headers)
            errors += status >= 500
    conn.close()
    results.append((latencies, errors, statuses))


def _follow(conn, target: Target, location: str, headers: dict):
    path = urllib.parse.urlsplit(location)
    path = (path.path or "/") + (f"?{path.query}" if path.query else "")
    headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return conn, response.status
    except (OSError, http.client.HTTPException):
        conn.close()
        return _connection(target), 599


def _process(target, clients, plan, seconds, offset, queue) -> None:
    results: list = []
    threads = [
        threading.Thread(target=_one_client, args=(target, c, plan, seconds, results, offset + i))
        for i, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[rank]


def run(
    target: Target, clients: list[Client], plan: Plan, seconds: float, processes: int = 4
) -> dict:
    """Drive every client for ``seconds``; return rps, p50/p95/p99 (ms) and errors."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    shares = [clients[i::processes] for i in range(processes)]
    workers, offset = [], 0
    for share in shares:
        if not share:
            continue
        worker = context.Process(
            target=_process, args=(target, share, plan, seconds, offset, queue)
        )
        worker.start()
        workers.append(worker)
        offset += len(share)
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    for _ in workers:
        for each, failed, seen in queue.get(timeout=seconds + 120):
            latencies.extend(each)
            errors += failed
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count
    for worker in workers:
        worker.join()
    return {
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2) if latencies else None,
        "errors": errors,
        "requests": len(latencies) + errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }
