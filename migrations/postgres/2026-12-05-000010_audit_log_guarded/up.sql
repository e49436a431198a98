-- The address each admin action came from (the same client address the request log and the
-- log-in throttle use), and a guard against emptying the trail: TRUNCATE skips row triggers,
-- so it gets a statement-level trigger of its own. A role that owns the table could still drop
-- the triggers; run the server as a role that does not (see README, "Production").
ALTER TABLE audit_log ADD COLUMN client_addr TEXT;

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
