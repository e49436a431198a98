-- Voucher drop on SQLite: the same tables and constraints as the PostgreSQL migration of the
-- same name. Booleans are 0/1 integers.

CREATE TABLE books (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    author     TEXT,
    cover_url  TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE vouchers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    book_id    INTEGER NOT NULL REFERENCES books (id),
    code       TEXT    NOT NULL UNIQUE,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    -- Always quantity minus the number of claims; never below zero.
    remaining  INTEGER NOT NULL,
    -- The admin's switch; "sold out" is derived from remaining.
    closed     INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    opens_at   INTEGER,
    closes_at  INTEGER,
    created_at INTEGER NOT NULL,
    CONSTRAINT vouchers_remaining_within_quantity CHECK (remaining >= 0 AND remaining <= quantity),
    CHECK (opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at)
);
CREATE INDEX vouchers_live ON vouchers (id) WHERE NOT closed AND remaining > 0;

CREATE TABLE voucher_claims (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    voucher_id INTEGER NOT NULL REFERENCES vouchers (id),
    claimed_at INTEGER NOT NULL,
    used_at    INTEGER,
    -- At most one claim per user and voucher, whatever the concurrency.
    CONSTRAINT voucher_claims_one_per_user UNIQUE (user_id, voucher_id)
);
CREATE INDEX voucher_claims_user_newest ON voucher_claims (user_id, claimed_at DESC, id DESC);
CREATE INDEX voucher_claims_by_voucher ON voucher_claims (voucher_id, id);
