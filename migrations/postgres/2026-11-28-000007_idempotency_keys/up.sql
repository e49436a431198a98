-- Idempotency keys for the user-facing creates. A row is written when a keyed request starts
-- (response_status NULL: in flight) and completed with the response it gave, which is replayed
-- to a retry with the same key and body for 24 hours. Scoped per user.
CREATE TABLE idempotency_keys (
    user_id         BIGINT  NOT NULL REFERENCES users (id),
    key             TEXT    NOT NULL,
    -- Method, route and canonical JSON body of the first request.
    fingerprint     TEXT    NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
