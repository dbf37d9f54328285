"""The role homes: the coordinators' needs-people board and the volunteers' home; debriefs."""

from __future__ import annotations

from helpers.forms import csrf_token, post

from casework.home import views as home_views
from casework.store import boards, homes

HOUR, DAY = 3600, 86400


def test_board_puts_urgent_and_under_48_hours_first(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code, day="2026-03-12", kind="school")
    team.add_task(team.coord, code, day="2026-03-13", kind="legal_aid", urgent="y")
    team.add_task(team.coord, code, day="2026-03-03", kind="medical")  # under 48 h
    team.add_task(team.coord, code, day="2026-03-10", kind="detention_visit")
    board = team.coord.get("/").text
    order = [
        board.index(label)
        for label in ("Medical appointment", "Legal aid", "Detention visit", "School")
    ]
    assert order == sorted(order)
    # The task under 48 hours is under its heading; the urgent one (in 11 days) is not.
    soon, later = board.index("In less than 48 hours"), board.index(">Later<")
    assert soon < order[0] < later < order[1]


def test_board_has_no_48_hour_heading_without_such_a_task(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code, day="2026-03-12", kind="school")
    board = team.coord.get("/").text
    assert "School" in board
    assert "In less than 48 hours" not in board and ">Later<" not in board


def test_staffed_tasks_leave_the_board(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, people_needed="1", kind="medical")
    assert "Medical appointment" in team.coord.get("/").text
    team.person("ana")
    post(team.coord, f"/tasks/{token}/assign", {"volunteer": "ana"})
    assert "Every upcoming task has its people." in team.coord.get("/").text


def test_debrief_with_follow_up_reaches_the_board_until_handled(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code, kind="medical")
    ana = team.person("ana")
    post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    team.advance(24 * HOUR)  # the task was at 09:00 the next day
    assert "Write the debrief" in ana.get("/").text
    page = f"/tasks/{token}/debrief"
    refused = post(ana, page, {"outcome": "follow_up", "note": "Call 514-555-0199"}, page)
    assert "We never store this kind of information" in refused.text
    assert team.count("tasks WHERE outcome IS NOT NULL") == 0
    saved = post(ana, page, {"outcome": "follow_up", "note": "Needs a lawyer"}, page)
    assert saved.status_code == 302
    row = team.conn.execute("SELECT state, outcome, debrief_note, follow_up FROM tasks").fetchone()
    assert tuple(row) == ("done", "follow_up", "Needs a lawyer", 1)
    board = team.coord.get("/").text
    assert "Needs follow-up" in board and code in board
    post(team.coord, f"/tasks/{token}/handled")
    assert "No follow-up waiting." in team.coord.get("/").text
    assert team.count("audit_events WHERE action = 'task.debriefed'") == 1


def test_debrief_outcome_must_be_chosen_from_the_list(team):
    code = team.open_case(team.coord)
    token = team.add_task(team.coord, code)
    team.advance(24 * HOUR)
    page = f"/tasks/{token}/debrief"
    for outcome in ("", "exploded"):
        response = post(team.coord, page, {"outcome": outcome}, page)
        assert response.status_code == 200 and 'class="error"' in response.text
    assert team.count("tasks WHERE outcome IS NOT NULL") == 0


def test_postponed_offers_the_next_task_pre_filled(team):
    code = team.open_case(team.coord)
    token = team.add_task(
        team.coord, code, kind="legal_aid", place="Aide juridique", people_needed="3"
    )
    team.advance(24 * HOUR)
    page = f"/tasks/{token}/debrief"
    response = post(team.coord, page, {"outcome": "postponed"}, page)
    assert response.headers["Location"] == f"/cases/{code}/tasks/new?after={token}"
    form = team.coord.get(response.headers["Location"]).text
    assert 'value="Aide juridique"' in form
    assert '<option selected value="legal_aid">' in form
    assert '<option selected value="3">' in form
    assert "Plan the next date" in team.coord.get("/").text


def test_dormant_cases_are_flagged_after_60_days(team):
    quiet = team.open_case(team.coord)
    team.advance(30 * DAY)
    busy = team.open_case(team.coord)
    team.advance(31 * DAY)
    board = team.coord.get("/").text
    assert quiet in board.split('<h2 id="dormant">')[1]
    assert busy not in board.split('<h2 id="dormant">')[1]


def test_a_dormant_case_shows_its_last_sign_of_life_quietest_first(team):
    # A case's last sign of life is its own last change or its latest task's start,
    # whichever is later: the board shows it and lists the quietest first.
    quiet = team.open_case(team.coord)  # Monday 2 March, no task
    booked = team.open_case(team.coord)
    for day in ("2026-03-04", "2026-03-06"):  # its latest task: Friday 6 March
        team.add_task(team.coord, booked, day=day)
    team.advance(67 * DAY)
    section = team.coord.get("/").text.split('<h2 id="dormant">')[1].split("</section>")[0]
    quiet_at, booked_at = section.index(quiet), section.index(booked)
    assert quiet_at < booked_at
    assert "last change Monday 2 March" in section[quiet_at:booked_at]
    assert "last change Friday 6 March" in section[booked_at:]


def test_volunteer_home_ranks_by_language_and_shows_urgent_banner(team):
    code = team.open_case(team.coord)
    team.add_task(team.coord, code, day="2026-03-03", kind="school", languages=["ar"])
    team.add_task(team.coord, code, day="2026-03-05", kind="medical", languages=["es"])
    volunteer = team.person("ana", languages="es")
    home = volunteer.get("/").text
    assert home.index("Medical appointment") < home.index("School")
    assert "urgent accompaniment" not in home
    mine = team.add_task(team.coord, code, day="2026-03-06", kind="legal_aid", urgent="y")
    home = volunteer.get("/").text
    assert "1 urgent accompaniment needs people." in home
    post(volunteer, f"/tasks/{mine}/signup", page=f"/tasks/{mine}")
    home = volunteer.get("/").text
    assert home.split("Tasks you could take")[0].count("Legal aid") == 1  # in "my next tasks"
    assert "Bring the hearing notice" not in home  # summaries only on the home page


def test_guard_message_in_each_language(team):
    """English text is checked; French and Spanish must show a form error (their text
    comes with the integrator's translations)."""
    page = "/cases/new"
    for language in ("en", "fr", "es"):
        team.coord.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        form = team.coord.get(page)
        response = team.coord.post(
            page,
            data={
                **team.case_fields(context_note="Courriel: jo@example.org"),
                "csrf_token": csrf_token(form),
            },
        )
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.text
        assert 'id="context_note-error"' in response.text
        if language == "en":
            assert "This looks like an e-mail address." in response.text
            assert "We never store this kind of information" in response.text
    assert team.count("cases") == 0


def test_volunteer_home_shows_the_next_ten_of_ones_own_tasks(team):
    code = team.open_case(team.coord)
    ana = team.person("ana")
    for day in range(5, 17):  # twelve upcoming tasks, 5 to 16 March
        token = team.add_task(team.coord, code, day=f"2026-03-{day:02d}", people_needed="1")
        post(team.coord, f"/tasks/{token}/assign", {"volunteer": "ana"})
    home = ana.get("/").text
    mine = home[home.index('id="mine"') : home.index('id="could-take"')]
    assert mine.count('<article class="card') == 10
    assert "5 Mar" in mine and "14 Mar" in mine and "15 Mar" not in mine  # the soonest ten


def test_the_board_shows_the_most_pressing_tasks_and_says_when_it_stops(team):
    code = team.open_case(team.coord)
    for _ in range(boards.BOARD_LIMIT + 1):
        team.add_task(team.coord, code)
    board = team.coord.get("/").text
    section = board.split('id="needs-people"', 1)[1].split("</section>", 1)[0]
    assert section.count('class="card') == boards.BOARD_LIMIT
    assert f"Only the {boards.BOARD_LIMIT} most pressing" in section
    assert section.count("In less than 48 hours") <= 1


def test_a_case_whose_only_task_is_months_ahead_is_not_dormant_anywhere(team):
    """Board, upcoming-deletions page and purge read one definition of dormant."""
    from casework.store import retention

    far = team.open_case(team.coord)
    team.add_task(team.coord, far, day="2026-06-15")  # 105 days ahead
    quiet = team.open_case(team.coord)
    team.advance(61 * DAY)
    board = team.coord.get("/").text.split('<h2 id="dormant">')[1]
    assert quiet in board and far not in board
    settings = team.app.config["CASEWORK"]
    team.advance(30 * DAY)  # 91 days: the quiet case is due to close, the other is not
    codes = retention.due_codes(team.conn, team.now, settings)["dormant_cases"]
    assert codes == {quiet}
    assert quiet in team.coord.get("/retention").text
    assert far not in team.coord.get("/retention").text
    retention.purge(team.conn, team.now, settings)
    states = dict(team.conn.execute("SELECT code, state FROM cases").fetchall())
    assert states == {far: "open", quiet: "closed"}


def test_a_late_withdrawal_asks_first_and_reaches_the_board(team):
    code = team.open_case(team.coord)
    soon = team.add_task(team.coord, code, kind="medical")  # tomorrow 09:00
    later = team.add_task(team.coord, code, kind="school", day="2026-03-12")
    ana = team.person("ana")
    for token in (soon, later):
        post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    # More than 48 hours ahead: one tap.
    assert post(ana, f"/tasks/{later}/withdraw").status_code == 302
    assert team.count("assignments") == 1
    # Less: a confirmation page first, which withdraws nothing.
    asked = post(ana, f"/tasks/{soon}/withdraw")
    assert asked.status_code == 200 and "Withdraw from this task?" in asked.text
    assert 'name="confirmed" value="1"' in asked.text
    assert team.count("assignments") == 1
    assert "No late withdrawal." in team.coord.get("/").text
    post(ana, f"/tasks/{soon}/withdraw", {"confirmed": "1"})
    assert team.count("assignments") == 0
    section = team.coord.get("/").text.split('id="late-withdrawals"')[1].split("</section>")[0]
    assert "Medical appointment" in section and "School" not in section


def test_volunteer_home_has_today_and_tomorrow_on_top(team):
    code = team.open_case(team.coord)
    ana = team.person("ana")
    for day, start in (("2026-03-02", "15:00"), ("2026-03-03", "09:00"), ("2026-03-05", "10:00")):
        token = team.add_task(team.coord, code, day=day, start=start, meeting_point="Metro exit")
        post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    home = ana.get("/").text
    days = home.split('id="days"')[1].split("</section>")[0]
    assert "<strong>Today</strong>\n    15:00–17:00" in days
    assert "<strong>Tomorrow</strong>\n    09:00–11:00" in days
    assert days.count("Meeting point: Metro exit") == 2 and "Palais de justice" in days
    mine = home.split('id="mine"')[1].split("</section>")[0]
    assert mine.count('<article class="card') == 1 and "5 Mar" in mine
    assert home.index('id="days"') < home.index('id="mine"')


def test_a_volunteer_going_to_many_tasks_in_two_days_sees_them_all_and_the_later_ones(team):
    # The home reads today, tomorrow and the later tasks in one go, and reads on when the
    # two days alone are more than that read holds (homes.DAYS_AT_MOST).
    code = team.open_case(team.coord)
    ana = team.person("ana")
    many = homes.DAYS_AT_MOST + home_views.MY_TASKS_SHOWN + 1
    days = [("2026-03-03", f"{8 + i // 2:02d}:{30 * (i % 2):02d}") for i in range(many)]
    for day, start in [*days, ("2026-03-05", "10:00"), ("2026-03-06", "10:00")]:
        token = team.add_task(team.coord, code, day=day, start=start, duration="30")
        post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    assert team.count("assignments") == many + 2
    home = ana.get("/").text
    shown_days = home.split('id="days"')[1].split("</section>")[0]
    assert shown_days.count("<strong>Tomorrow</strong>") == many
    mine = home.split('id="mine"')[1].split("</section>")[0]
    assert mine.count('<article class="card') == 2 and "5 Mar" in mine and "6 Mar" in mine


def test_the_board_opens_with_a_summary_and_shows_each_sections_first_items(team):
    code = team.open_case(team.coord)
    for day in range(10, 18):
        team.add_task(team.coord, code, day=f"2026-03-{day}")
    board = team.coord.get("/").text
    summary = board.split('class="summary"')[1].split("</nav>")[0]
    assert 'href="#needs-people">Needs people <span class="count">8</span>' in summary
    for anchor in ("#unseen-changes", "#late-withdrawals", "#follow-ups", "#dormant"):
        assert f'href="{anchor}"' in summary
    section = board.split('id="needs-people"')[1].split("</section>")[0]
    shown, rest = section.split("<details")
    assert shown.count('class="card') == 5 and rest.count('class="card') == 3
    assert "Show all (8)" in rest


def section(page: str, section_id: str) -> str:
    """The HTML of one section of a page ('' when the page does not have it)."""
    if f'id="{section_id}"' not in page:
        return ""
    return page.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def test_the_longest_task_stays_on_top_of_ones_home_until_its_last_minute(team):
    code = team.open_case(team.coord)
    ana = team.person("ana")
    token = team.add_task(team.coord, code, day="2026-03-03", start="09:00", duration="480")
    post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    starts_at = team.conn.execute("SELECT starts_at FROM tasks WHERE token = ?", (token,))
    team.advance(starts_at.fetchone()[0] + 8 * HOUR - 1 - team.now)  # under way, 7 h 59 in
    assert token in section(ana.get("/").text, "days")
    team.advance(1)  # over: a debrief to write, no longer a task to go to
    home = ana.get("/").text
    assert token not in section(home, "days") and token in home


def test_a_task_moved_to_another_day_moves_on_the_pages_of_those_going(team):
    code = team.open_case(team.coord)
    ana = team.person("ana")
    moved = team.add_task(team.coord, code, day="2026-03-05", kind="medical")
    stays = team.add_task(team.coord, code, day="2026-03-12", kind="school")
    for token in (moved, stays):
        post(ana, f"/tasks/{token}/signup", page=f"/tasks/{token}")
    mine = section(ana.get("/").text, "mine")
    assert mine.index(moved) < mine.index(stays)
    edit = f"/tasks/{moved}/edit"
    response = post(team.coord, edit, team.task_fields(day="2026-03-20", kind="medical"), page=edit)
    assert response.status_code == 302
    mine = section(ana.get("/").text, "mine")
    assert mine.index(stays) < mine.index(moved) and "20 Mar" in mine
    assert moved in ana.get("/week?day=2026-03-20").text
    assert moved not in ana.get("/week?day=2026-03-05").text
    # Debriefs follow the new time too: once it is over, it asks for one.
    team.advance(20 * DAY)
    assert moved in section(ana.get("/").text, "debriefs")
