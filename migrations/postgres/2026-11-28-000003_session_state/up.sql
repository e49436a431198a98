-- Session state: what authentication needs about a user, kept in the database as the record
-- (Redis or process memory hold a copy for speed, rebuilt from here when missing).

-- Bumped by every change authentication must see at once: logout, password, role, deletion.
-- A cached copy is replaced only by one with a higher version, so a slow writer can never put
-- an older state back.
ALTER TABLE users ADD COLUMN auth_version BIGINT NOT NULL DEFAULT 0;

-- Logged-out tokens, each kept until it would have expired anyway.
CREATE TABLE revoked_tokens (
    token_id   TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_user ON revoked_tokens (user_id, expires_at);
