-- Every claim gets its own redemption code: 80 random bits as 16 Crockford base32 characters
-- in groups of four (see domain::redemption). The voucher's own `code` stays, as an internal
-- campaign name the public listing no longer shows.
--
-- Existing claims get a fresh code each. The bytes come from gen_random_uuid() (a strong random
-- source, built in since PostgreSQL 13), called in a select list so that it runs once per
-- claim: the low five bits of each of its 16 bytes pick a character, 79 random bits in all
-- (the version nibble costs one).
ALTER TABLE voucher_claims ADD COLUMN redemption_code TEXT;

WITH random_bytes AS (
    SELECT id, uuid_send(gen_random_uuid()) AS bytes FROM voucher_claims
), codes AS (
    SELECT r.id,
           string_agg(
               substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(r.bytes, i) % 32 + 1, 1)
                   || CASE WHEN i IN (3, 7, 11) THEN '-' ELSE '' END,
               '' ORDER BY i) AS code
    FROM random_bytes r CROSS JOIN generate_series(0, 15) AS i
    GROUP BY r.id
)
UPDATE voucher_claims c SET redemption_code = codes.code FROM codes WHERE codes.id = c.id;

ALTER TABLE voucher_claims ALTER COLUMN redemption_code SET NOT NULL;
ALTER TABLE voucher_claims
    ADD CONSTRAINT voucher_claims_redemption_code_unique UNIQUE (redemption_code);
