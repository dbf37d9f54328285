-- When the last backup was written (by `casework backup`), so that `casework status` and
-- the board can say how old it is. One row at most: older times are of no use to anyone.
CREATE TABLE backups_made (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    made_at INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL
)
