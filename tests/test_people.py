"""The coordinators' people page: roles, deactivation, sessions, audit with ids only."""

from __future__ import annotations

import pytest
from helpers.forms import english, post


@pytest.fixture
def team(accounts, client):
    accounts.create("ash")
    fern = accounts.create("fern", "volunteer")
    accounts.signin("ash")
    english(client)
    return fern


def active(conn, handle: str) -> int:
    return conn.execute("SELECT active FROM users WHERE handle = ?", (handle,)).fetchone()[0]


def actions(conn) -> list[tuple]:
    return [tuple(row) for row in conn.execute("SELECT action, target FROM audit_events")]


def test_the_people_page_lists_everyone(team, accounts, client):
    page = client.get("/people/")
    assert page.status_code == 200
    # The content area only: the navigation always shows the signed-in person's handle.
    content = page.text.split('<main id="main">', 1)[1]
    for account in (accounts.people["ash"], team):
        link = f'<a href="/people/{account.public_id}">{account.handle}</a>'
        assert link in content, link


def test_deactivation_asks_first_then_ends_sessions_at_once(team, accounts, app, client, conn):
    phone = app.test_client()
    accounts.signin("fern", client=phone)
    stolen = phone.get_cookie("casework").value
    confirm = client.get(f"/people/{team.public_id}/deactivate")
    assert confirm.status_code == 200 and "Deactivate fern?" in confirm.text
    assert active(conn, "fern") == 1  # the GET only asks
    url = f"/people/{team.public_id}/deactivate"
    assert post(client, url).status_code == 302
    assert active(conn, "fern") == 0
    thief = app.test_client()
    thief.set_cookie("casework", stolen)
    assert thief.get("/").status_code == 302
    assert accounts.signin("fern", client=app.test_client()).status_code == 200
    fern_id = conn.execute("SELECT id FROM users WHERE handle = 'fern'").fetchone()[0]
    assert ("user.deactivated", f"user:{fern_id}") in actions(conn)
    sessions = conn.execute("SELECT count(*) FROM sessions WHERE user_id = ?", (fern_id,))
    assert sessions.fetchone()[0] == 0


def test_reactivation_lets_them_sign_in_again(team, accounts, app, client, conn):
    post(client, f"/people/{team.public_id}/deactivate")
    post(client, f"/people/{team.public_id}/reactivate", page=f"/people/{team.public_id}")
    assert active(conn, "fern") == 1
    assert accounts.signin("fern", client=app.test_client()).status_code == 302


def test_a_post_without_csrf_changes_nothing(team, client, conn):
    for action in ("deactivate", "role", "sessions/end", "second-factor/reset"):
        response = client.post(f"/people/{team.public_id}/{action}", data={"role": "coordinator"})
        assert response.status_code == 400
    assert active(conn, "fern") == 1
    assert conn.execute("SELECT role FROM users WHERE handle = 'fern'").fetchone()[0] == "volunteer"


def test_changing_a_role_is_audited_and_restarts_their_sessions(team, accounts, app, client, conn):
    phone = app.test_client()
    accounts.signin("fern", client=phone)
    url = f"/people/{team.public_id}/role"
    post(client, url, {"role": "coordinator"}, page=f"/people/{team.public_id}")
    assert conn.execute("SELECT role FROM users WHERE handle = 'fern'").fetchone()[0] == (
        "coordinator"
    )
    assert phone.get("/").status_code == 302
    assert any(action == "role.coordinator" for action, _ in actions(conn))


def test_a_coordinator_cannot_lock_themself_out(accounts, client, conn):
    ash = accounts.create("ash")
    accounts.signin("ash")
    english(client)
    page = f"/people/{ash.public_id}"
    for action, data in (("deactivate", {}), ("role", {"role": "volunteer"})):
        response = post(client, f"{page}/{action}", data, page=page)
        assert response.status_code == 302
        assert "You cannot do this to your own account." in client.get(page).text
    assert active(conn, "ash") == 1


def test_the_last_coordinator_stays(accounts, client, conn):
    accounts.create("ash")
    birch = accounts.create("birch")
    accounts.signin("ash")
    page = f"/people/{birch.public_id}"
    post(client, f"{page}/deactivate")
    assert active(conn, "birch") == 0
    # birch is gone; ash is now the only active coordinator and cannot be removed by anyone
    from casework.store import people, users

    with pytest.raises(people.LastCoordinator):
        people.deactivate(conn, None, users.get_any(conn, accounts.people["ash"].public_id), 1)
    assert active(conn, "ash") == 1


def test_ending_someones_sessions(team, accounts, app, client, conn):
    phone = app.test_client()
    accounts.signin("fern", client=phone)
    url = f"/people/{team.public_id}/sessions/end"
    assert post(client, url, page=f"/people/{team.public_id}").status_code == 302
    assert phone.get("/").status_code == 302
    assert client.get("/").status_code == 200


def test_audit_events_hold_ids_and_never_handles(team, client, conn):
    post(client, "/people/invite", {"role": "volunteer"}, page="/people/")
    post(client, f"/people/{team.public_id}/sessions/end", page=f"/people/{team.public_id}")
    recorded = conn.execute("SELECT action, target FROM audit_events").fetchall()
    assert {"signin.succeeded", "invite.created", "sessions.ended"} <= {r[0] for r in recorded}
    for action, target in recorded:
        assert "fern" not in target and "ash" not in target
        assert target == "" or target.split(":")[0] in {"user", "invite", "role", "second_factor"}
        assert action.replace(".", "").replace("_", "").isalpha()


@pytest.mark.parametrize("token", ["nope", "x" * 200, "../../etc", "%00"])
def test_unknown_people_are_404(team, client, token):
    assert client.get(f"/people/{token}").status_code == 404
