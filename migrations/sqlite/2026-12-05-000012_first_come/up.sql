-- First-come booking (see the PostgreSQL migration of the same name). SQLite cannot change a
-- CHECK constraint in place, so the reservations table is rebuilt with the new states, and
-- its indexes with it.
ALTER TABLE exam_slots
    ADD COLUMN booking_mode TEXT NOT NULL DEFAULT 'approval'
    CHECK (booking_mode IN ('approval', 'first_come'));

CREATE TABLE reservations_first_come (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    seats        INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 50000),
    status       TEXT    NOT NULL
                 CHECK (status IN ('pending', 'confirmed', 'cancelled', 'waitlisted', 'expired')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    booking_mode TEXT    NOT NULL DEFAULT 'approval'
                 CHECK (booking_mode IN ('approval', 'first_come')),
    CHECK (starts_at < ends_at)
);
INSERT INTO reservations_first_come
    (id, user_id, starts_at, ends_at, seats, status, created_at, updated_at)
SELECT id, user_id, starts_at, ends_at, seats, status, created_at, updated_at FROM reservations;
DROP TABLE reservations;
ALTER TABLE reservations_first_come RENAME TO reservations;
CREATE INDEX reservations_user_newest ON reservations (user_id, created_at DESC, id DESC);
CREATE INDEX reservations_newest ON reservations (created_at DESC, id DESC);
CREATE INDEX reservations_span ON reservations (starts_at, ends_at);
CREATE INDEX reservations_waiting ON reservations (starts_at, id) WHERE status = 'waitlisted';
