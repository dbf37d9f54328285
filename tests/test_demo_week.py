"""The demo store looks like a group's week: weekday working hours, hearings in the
morning, debriefs to write, changes not yet seen."""

from __future__ import annotations

import secrets
import time

import pytest
from helpers.instance import CHEAP_HASH

from casework.rules import localtime
from casework.store import boards, db, demo, migrations


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    conn = db.connect(tmp_path_factory.mktemp("demo") / "d.db", secrets.token_bytes(32))
    now = int(time.time())
    migrations.migrate(conn, now)
    demo.fill(conn, "small", now, CHEAP_HASH, seed=7)
    yield conn, now
    conn.close()


def test_tasks_are_on_weekdays_between_8_and_18(filled):
    conn, _now = filled
    for kind, starts, ends in conn.execute("SELECT kind, starts_at, ends_at FROM tasks"):
        start, end = (localtime.to_local(t, demo.ZONE) for t in (starts, ends))
        assert start.weekday() < 5, start
        assert (start.hour, start.minute) >= (8, 0) and (end.hour, end.minute) <= (18, 0)
        assert start.date() == end.date()
        if kind == "hearing":
            assert start.hour < 12  # hearings in the morning


def test_some_volunteers_have_a_debrief_to_write_and_changes_to_see(filled):
    conn, now = filled
    volunteers = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'volunteer'")]
    waiting = [v for v in volunteers if boards.awaiting_debrief(conn, v, now)]
    assert 0 < len(waiting) <= len(volunteers)
    unseen = conn.execute(
        "SELECT count(*) FROM change_notices n JOIN tasks t ON t.id = n.task_id"
        " JOIN assignments a ON a.task_id = n.task_id AND a.user_id = n.user_id"
        " WHERE n.seen_at IS NULL AND t.starts_at > ?",
        (now,),
    ).fetchone()[0]
    assert unseen > 0
