-- Backups taken of this database (onewindow db backup, the daily timer, before migrations):
-- what `sync` reports to the central's fleet view as "last backup". Not event-sourced.
CREATE TABLE IF NOT EXISTS backups (
    at        REAL NOT NULL,
    path      TEXT NOT NULL,
    bytes     INTEGER NOT NULL,
    kind      TEXT NOT NULL,             -- scheduled | manual | pre-migrate
    copied_to TEXT                       -- the copy_to path when the copy was made
);
CREATE INDEX IF NOT EXISTS backups_at ON backups (at);
