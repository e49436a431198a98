-- Session state on SQLite: the same column and table as the PostgreSQL migration of the same
-- name.

ALTER TABLE users ADD COLUMN auth_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE revoked_tokens (
    token_id   TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_user ON revoked_tokens (user_id, expires_at);
