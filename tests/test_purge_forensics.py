"""SECURITY.md item 3: after a purge, no purged content is left anywhere in the store file,
even for someone who decrypts every page and every WAL frame with the key."""

from __future__ import annotations

import json
import random

import pytest
from helpers import planted as plant
from helpers.forensics import decrypt_pages, plaintext_contains
from helpers.planted import local

from casework.store import retention
from casework.store.db import transaction

DAY = 86_400
NOW = local(2026, 6, 15, 12, 0)
OLD = NOW - 400 * DAY


def marker(field: str) -> str:
    return f"PURGED{field.upper()}Q7X"


def plant_every_kind(conn) -> list[str]:
    """One distinctive marker per purged field, each aged past its retention period."""
    gone = plant.user(conn, OLD, active=0, deactivated=OLD, tag=marker("handle"))
    with transaction(conn):
        conn.execute(
            "UPDATE users SET languages = ?, availability = ?, password_hash = ? WHERE id = ?",
            (marker("languages"), marker("availability"), marker("pwhash"), gone),
        )
    plant.session(conn, OLD, OLD, tag=marker("sessiondata"))
    plant.audit(conn, OLD, tag=marker("audittarget"))
    plant.invite(conn, OLD, OLD + 3600, tag=marker("expiredinvite"))
    plant.invite(conn, NOW - DAY, NOW + 99 * DAY, NOW - 60, tag=marker("usedinvite"))
    plant.purge_report(conn, OLD, tag=marker("reportcounts"))
    return [
        marker(f)
        for f in (
            "handle", "languages", "availability", "pwhash", "sessiondata", "audittarget",
            "expiredinvite", "usedinvite", "reportcounts",
        )
    ]  # fmt: skip


def plant_keepers(conn) -> list[str]:
    """Recent rows of the same kinds: they must survive, readable with the key."""
    plant.user(conn, NOW - DAY, seen=NOW - DAY, tag="KEPTHANDLEQ7X")
    plant.session(conn, NOW - 60, NOW - 60, tag="KEPTSESSIONQ7X")
    plant.audit(conn, NOW - DAY, tag="KEPTAUDITQ7X")
    return ["KEPTHANDLEQ7X", "KEPTSESSIONQ7X", "KEPTAUDITQ7X"]


def plant_mixed_sizes(conn) -> str:
    """Old and new rows of varied sizes (some on overflow pages), interleaved. In this
    layout secure_delete and checkpoints alone left one old row readable: VACUUM is needed."""
    sizes = random.Random(7)
    for i in range(300):
        old = i % 2 == 1
        at = OLD if old else NOW - 60
        text = "MIXEDOLDQ7X" if old else "MIXEDNEW"
        plant.session(conn, at, at, tag=text + "y" * sizes.randint(10, 6000))
        plant.audit(conn, at, tag=text * sizes.randint(1, 300))
    with transaction(conn):
        conn.execute(
            "UPDATE audit_events SET target = 'z' WHERE target LIKE 'MIXED%' AND id % 5 = 1"
        )
    return "MIXEDOLDQ7X"


@pytest.fixture
def planted(app, conn):
    # Plenty of ordinary rows around the markers, so pages split, merge and move.
    plant.fill(conn, NOW, 3000, tag="FILLER")
    markers = [*plant_every_kind(conn), plant_mixed_sizes(conn)]
    plant.fill(conn, NOW, 3000, tag="FILLER2")
    return markers, plant_keepers(conn)


def test_markers_are_found_before_the_purge(app, conn, store_key, planted):
    markers, keepers = planted
    path = app.extensions["casework_store"].path
    for text in markers + keepers:
        assert plaintext_contains(path, bytes(store_key), text.encode()), text


def test_purged_markers_are_nowhere_in_the_file_after_the_purge(app, conn, store_key, planted):
    markers, keepers = planted
    # Updates and deletions leave old copies in WAL frames and freed pages: make some.
    plant.audit(conn, NOW - DAY, tag="OVERWRITTENQ7X")
    with transaction(conn):
        conn.execute("UPDATE audit_events SET target = 'x' WHERE target = 'OVERWRITTENQ7X'")
    assert plaintext_contains(app.extensions["casework_store"].path, bytes(store_key),
                              b"OVERWRITTENQ7X")  # fmt: skip
    report = retention.purge(conn, NOW, app.config["CASEWORK"])
    assert report.outcome == "done", report.problem
    assert report.counts["deactivated_accounts"] == 1
    assert report.counts["invites"] == 2
    path = app.extensions["casework_store"].path
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size == 0
    pages = decrypt_pages(path, bytes(store_key), verify_hmac=True)
    # The overwritten value is gone as well as every purged row.
    for text in [*markers, "OVERWRITTENQ7X"]:
        assert not any(text.encode() in page for page in pages), text
    for text in keepers:
        assert any(text.encode() in page for page in pages), text
    counts = json.dumps(report.as_json())
    assert "Q7X" not in counts  # the report holds counts only
