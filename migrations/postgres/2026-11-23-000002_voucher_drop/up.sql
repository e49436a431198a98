-- Voucher drop: books, vouchers with a limited quantity, one claim per user and voucher.

CREATE TABLE books (
    id         BIGSERIAL PRIMARY KEY,
    title      TEXT   NOT NULL,
    author     TEXT,
    cover_url  TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE vouchers (
    id         BIGSERIAL PRIMARY KEY,
    book_id    BIGINT  NOT NULL REFERENCES books (id),
    code       TEXT    NOT NULL UNIQUE,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    -- Always quantity minus the number of claims; never below zero.
    remaining  INTEGER NOT NULL,
    -- The admin's switch; "sold out" is derived from remaining.
    closed     BOOLEAN NOT NULL DEFAULT FALSE,
    opens_at   BIGINT,
    closes_at  BIGINT,
    created_at BIGINT  NOT NULL,
    CONSTRAINT vouchers_remaining_within_quantity CHECK (remaining >= 0 AND remaining <= quantity),
    CHECK (opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at)
);
CREATE INDEX vouchers_live ON vouchers (id) WHERE NOT closed AND remaining > 0;

CREATE TABLE voucher_claims (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    voucher_id BIGINT NOT NULL REFERENCES vouchers (id),
    claimed_at BIGINT NOT NULL,
    used_at    BIGINT,
    -- At most one claim per user and voucher, whatever the concurrency.
    CONSTRAINT voucher_claims_one_per_user UNIQUE (user_id, voucher_id)
);
CREATE INDEX voucher_claims_user_newest ON voucher_claims (user_id, claimed_at DESC, id DESC);
CREATE INDEX voucher_claims_by_voucher ON voucher_claims (voucher_id, id);
