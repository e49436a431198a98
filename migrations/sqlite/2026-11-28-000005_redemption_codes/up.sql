-- Redemption codes on SQLite: the same column and constraint as the PostgreSQL migration of the
-- same name. SQLite cannot add a NOT NULL column without a default, so the table is rebuilt
-- (nothing references voucher_claims). Existing claims get a fresh code each from random(),
-- SQLite's own generator (seeded from the operating system): 16 characters, 5 bits each.
CREATE TABLE voucher_claims_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    voucher_id      INTEGER NOT NULL REFERENCES vouchers (id),
    claimed_at      INTEGER NOT NULL,
    used_at         INTEGER,
    redemption_code TEXT    NOT NULL,
    CONSTRAINT voucher_claims_one_per_user UNIQUE (user_id, voucher_id),
    CONSTRAINT voucher_claims_redemption_code_unique UNIQUE (redemption_code)
);

INSERT INTO voucher_claims_new (id, user_id, voucher_id, claimed_at, used_at, redemption_code)
SELECT id, user_id, voucher_id, claimed_at, used_at,
       substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1) || '-'
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1) || '-'
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1) || '-'
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
FROM voucher_claims;

DROP TABLE voucher_claims;
ALTER TABLE voucher_claims_new RENAME TO voucher_claims;
CREATE INDEX voucher_claims_user_newest ON voucher_claims (user_id, claimed_at DESC, id DESC);
CREATE INDEX voucher_claims_by_voucher ON voucher_claims (voucher_id, id);
