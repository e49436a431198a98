-- Waiting and expired reservations have no place in the older schema: they are dropped.
DELETE FROM reservations WHERE status IN ('waitlisted', 'expired');
CREATE TABLE reservations_approval (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    seats      INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 50000),
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (starts_at < ends_at)
);
INSERT INTO reservations_approval
SELECT id, user_id, starts_at, ends_at, seats, status, created_at, updated_at FROM reservations;
DROP TABLE reservations;
ALTER TABLE reservations_approval RENAME TO reservations;
CREATE INDEX reservations_user_newest ON reservations (user_id, created_at DESC, id DESC);
CREATE INDEX reservations_newest ON reservations (created_at DESC, id DESC);
CREATE INDEX reservations_span ON reservations (starts_at, ends_at);
ALTER TABLE exam_slots DROP COLUMN booking_mode;
