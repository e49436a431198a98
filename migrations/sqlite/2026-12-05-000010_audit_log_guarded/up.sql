-- The address each admin action came from. (SQLite has no TRUNCATE: a DELETE without WHERE
-- runs the row trigger of 000006, which refuses it.)
ALTER TABLE audit_log ADD COLUMN client_addr TEXT;
