-- Idempotency keys on SQLite: the same table as the PostgreSQL migration of the same name.
CREATE TABLE idempotency_keys (
    user_id         INTEGER NOT NULL REFERENCES users (id),
    key             TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
