-- Cases under pseudonymous codes, their accompaniment tasks, who goes, and debriefs.
-- No column may hold a legal name, status, contact detail or identifier of anyone.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (length(code) = 12),
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    languages TEXT NOT NULL DEFAULT '' CHECK (length(languages) <= 200),
    support_kinds TEXT NOT NULL DEFAULT '' CHECK (length(support_kinds) <= 400),
    context_note TEXT NOT NULL DEFAULT '' CHECK (length(context_note) <= 500),
    coordinator_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    changed_at INTEGER NOT NULL
);
-- Dormant open cases (board) and closed cases due for purging.
CREATE INDEX cases_by_state_change ON cases (state, changed_at);
CREATE INDEX cases_closed ON cases (closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (length(kind) <= 32),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    place TEXT NOT NULL CHECK (length(place) <= 120),
    meeting_point TEXT NOT NULL DEFAULT '' CHECK (length(meeting_point) <= 120),
    people_needed INTEGER NOT NULL CHECK (people_needed BETWEEN 1 AND 5),
    languages TEXT NOT NULL DEFAULT '' CHECK (length(languages) <= 200),
    instructions TEXT CHECK (length(instructions) <= 1000),
    urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'staffed', 'done', 'cancelled')),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'postponed', 'did_not_happen', 'follow_up', 'urgent')),
    debrief_note TEXT CHECK (length(debrief_note) <= 500),
    debriefed_at INTEGER,
    debriefed_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    follow_up INTEGER NOT NULL DEFAULT 0 CHECK (follow_up IN (0, 1)),
    CHECK (ends_at > starts_at)
);
-- Needs-people board and open tasks for volunteers: open tasks by start time.
CREATE INDEX tasks_by_state_start ON tasks (state, starts_at);
-- Urgent open tasks first on the board and in the volunteers' banner.
CREATE INDEX tasks_urgent ON tasks (state, urgent, starts_at);
-- Week view and overlap checks.
CREATE INDEX tasks_by_start ON tasks (starts_at);
-- Case page: its tasks in time order.
CREATE INDEX tasks_by_case ON tasks (case_id, starts_at);
-- Follow-ups from debriefs waiting for a coordinator.
CREATE INDEX tasks_follow_ups ON tasks (debriefed_at) WHERE follow_up = 1;

CREATE TABLE assignments (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at INTEGER NOT NULL,
    assigned_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (task_id, user_id)
) WITHOUT ROWID;
-- A volunteer's own tasks (home, week, overlaps, recent load).
CREATE INDEX assignments_by_user ON assignments (user_id, task_id);
