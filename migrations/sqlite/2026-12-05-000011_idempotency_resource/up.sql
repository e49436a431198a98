-- The record a keyed create made, written in the same transaction as the record itself. A
-- process that dies between that commit and storing its answer leaves the key in flight but
-- with its resource: a retry then answers with the resource instead of doing the work again.
ALTER TABLE idempotency_keys ADD COLUMN resource_id BIGINT;
