-- Exam booking on SQLite: the same tables, columns and constraints as the PostgreSQL
-- migration of the same name; only the spelling of auto-increment keys differs.
-- Every instant is INTEGER seconds since the Unix epoch (UTC).

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT    NOT NULL,
    -- Lower-cased username: uniqueness ignores letter case.
    username_key    TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('user', 'admin')),
    -- Bumped when a password changes: tokens carry the version they were issued under.
    session_version INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    -- Users are soft-deleted so that their (cancelled) reservations keep a valid owner.
    deleted_at      INTEGER
);
CREATE UNIQUE INDEX users_username_key_live ON users (username_key) WHERE deleted_at IS NULL;

CREATE TABLE exam_slots (
    starts_at INTEGER PRIMARY KEY,
    capacity  INTEGER NOT NULL CHECK (capacity > 0),
    -- Always the sum of the seats of confirmed reservations covering this hour.
    confirmed INTEGER NOT NULL DEFAULT 0,
    -- The last guard of the cap: no statement can ever push a slot over its capacity.
    CONSTRAINT exam_slots_confirmed_within_capacity CHECK (confirmed >= 0 AND confirmed <= capacity)
);

CREATE TABLE reservations (
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
-- Own list, newest first.
CREATE INDEX reservations_user_newest ON reservations (user_id, created_at DESC, id DESC);
-- Admin list, newest first, optionally by status.
CREATE INDEX reservations_newest ON reservations (created_at DESC, id DESC);
CREATE INDEX reservations_status_newest ON reservations (status, created_at DESC, id DESC);
-- Admin date filter (overlap of [starts_at, ends_at) with a day).
CREATE INDEX reservations_span ON reservations (starts_at, ends_at);
