"""SECURITY.md item 19: 16 clients with mixed reads and writes against the real server
over TLS for a bounded time: no 5xx, and "database is locked" reaches neither a page nor
the server's output.

Volunteers sign up, withdraw, save their profile and debrief their past tasks;
coordinators open cases, debrief, and read boards. The store is made before the server
starts, with tasks in the past (to debrief) and in the future (to sign up for).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from helpers.accounts import stored_account
from helpers.instance import CHEAP_KDF, PASSPHRASE, PASSWORD
from helpers.served import Served

from casework.rules import totp
from casework.store import cases, db, staffing, tasks
from casework.vault.store import Store

COORDINATORS, VOLUNTEERS = 4, 12
SECONDS = 10
DAY = 24 * 3600

pytestmark = pytest.mark.slow


def prepare(instance) -> dict:
    """People, two cases, upcoming tasks with room for everyone, and started ones."""
    key = Store(instance).create(PASSPHRASE, CHEAP_KDF)
    conn = db.connect(instance / "casework.db", key)
    now = int(time.time())
    try:
        secrets = {f"coord{n}": bytes([n + 1]) * 20 for n in range(COORDINATORS)}
        coords = [stored_account(conn, h, "coordinator", now, s) for h, s in secrets.items()]
        vols = [stored_account(conn, f"vol{n}", "volunteer", now) for n in range(VOLUNTEERS)]
        details = cases.CaseDetails(["es"], [], "", coords[0].id)
        case = cases.load_or_404(conn, cases.open_case(conn, details, now, coords[0].id), coords[0])
        upcoming = [_task(conn, case, now + (3 + n) * DAY, coords[0].id) for n in range(4)]
        past = [_task(conn, case, now - 3 * DAY, coords[0].id, created=now - 5 * DAY)]
        row = tasks.by_token(conn, past[0])
        for vol in vols[:5]:
            staffing.take_place(conn, row, vol.id, now - 4 * DAY, coords[0].id)
    finally:
        conn.close()
    return {"key": key, "coords": secrets, "vols": [v.handle for v in vols],
            "coord_id": coords[0].id, "upcoming": upcoming, "past": past[0]}  # fmt: skip


def _task(conn, case, starts_at: int, actor: int, created: int | None = None) -> str:
    details = tasks.TaskDetails(
        kind="hearing", starts_at=starts_at, ends_at=starts_at + 7200, place="Court",
        meeting_point="", people_needed=5, languages=["es"], instructions="", urgent=False,
    )  # fmt: skip
    return tasks.create(conn, case, details, created or starts_at - DAY, actor)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.problems: list[tuple] = []

    def add(self, what: str, status: int, text: str) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 500 or "database is locked" in text.lower():
                self.problems.append((what, status, text[:300]))


def volunteer_loop(client, world, tally: Tally, stop: threading.Event, seed: int) -> None:
    chance = random.Random(seed)
    while not stop.is_set():
        token = chance.choice(world["upcoming"])
        page = f"/tasks/{token}"
        action = chance.choice(("signup", "withdraw", "profile", "read", "debrief"))
        if action in ("signup", "withdraw"):
            status, text = client.post(f"{page}/{action}", {}, page)
        elif action == "profile":
            days = [str(n) for n in chance.sample(range(21), 3)]
            form = {"languages": ["es"], "availability": days, "ui_language": "en"}
            status, text = client.post("/profile/", form)
        elif action == "debrief":
            url = f"/tasks/{world['past']}/debrief"
            status, text = client.get(url)
            if status == 200:
                note = f"went fine {seed}"
                status, text = client.post(url, {"outcome": "done", "note": note})
        else:
            status, text = client.get(chance.choice(("/", "/week", page)))
        tally.add(action, status, text)


def coordinator_loop(client, world, tally: Tally, stop: threading.Event, seed: int) -> None:
    chance = random.Random(seed)
    while not stop.is_set():
        action = chance.choice(("case", "debrief", "read", "profile"))
        if action == "case":
            form = {"context_note": "", "coordinator": str(world["coord_id"]), "languages": "fr"}
            status, text = client.post("/cases/new", form)
        elif action == "debrief":
            form = {"outcome": "follow_up", "note": "call back"}
            status, text = client.post(f"/tasks/{world['past']}/debrief", form)
        elif action == "profile":
            form = {"languages": ["fr"], "availability": ["1"], "ui_language": "fr"}
            status, text = client.post("/profile/", form)
        else:
            status, text = client.get(chance.choice(("/", "/week", "/retention", "/people/")))
        tally.add(action, status, text)


def signed_in(served: Served, handle: str, secret: bytes | None):
    client = served.client()
    assert client.post("/signin", {"handle": handle, "password": PASSWORD})[0] == 302
    if secret is not None:
        code = totp.code_at(secret, time.time())
        assert client.post("/signin/code", {"code": code})[0] == 302
    return client


def test_sixteen_clients_mixed_writes_no_5xx_and_no_locked_database(instance):
    world = prepare(instance)
    served = Served(instance, "--passphrase-stdin", stdin_text=f"{PASSPHRASE}\n")
    clients, tally, stop = [], Tally(), threading.Event()
    try:
        workers = []
        for number, (handle, secret) in enumerate(world["coords"].items()):
            clients.append(signed_in(served, handle, secret))
            args = (clients[-1], world, tally, stop, number)
            workers.append(threading.Thread(target=coordinator_loop, args=args))
        for number, handle in enumerate(world["vols"]):
            clients.append(signed_in(served, handle, None))
            args = (clients[-1], world, tally, stop, 100 + number)
            workers.append(threading.Thread(target=volunteer_loop, args=args))
        assert len(workers) >= 16
        for worker in workers:
            worker.start()
        time.sleep(SECONDS)
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        for client in clients:
            client.close()
        output = served.stop()
    print(f"{sum(tally.statuses.values())} requests in {SECONDS} s: {dict(tally.statuses)}")
    assert tally.problems == []
    assert sum(tally.statuses.values()) > 200  # the load was real
    assert "database is locked" not in output.lower(), output
    assert "unhandled" not in output, output
    conn = db.connect(instance / "casework.db", world["key"])
    try:  # the writes went through, not only the reads
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] > 5
        done = (
            "SELECT count(*) FROM audit_events WHERE action IN ('task.assigned', 'task.unassigned')"
        )
        assert conn.execute(done).fetchone()[0] > 10
        assert db.integrity_problems(conn) == []
    finally:
        conn.close()
