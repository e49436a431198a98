-- The audit trail of admin actions. Each row is written in the transaction of the change it
-- describes. Rows are append-only: a trigger refuses UPDATE and DELETE, so not even a bug in
-- the service can rewrite history.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    -- NULL: the command line (api-server create-admin), not a signed-in admin.
    actor_id    BIGINT REFERENCES users (id),
    action      TEXT   NOT NULL,
    target_kind TEXT   NOT NULL,
    target_id   BIGINT NOT NULL,
    -- JSON object: {"field": {"before": ..., "after": ...}} for each field that changed.
    changes     TEXT   NOT NULL
);
CREATE INDEX audit_log_newest ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_by_target ON audit_log (target_kind, target_id, at DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log rows are never updated or deleted';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
