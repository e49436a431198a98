-- The same index dropped as in the PostgreSQL migration of the same name, so both schemas stay
-- alike (SQLite has no HOT updates, but the index was of no use here either).
DROP INDEX vouchers_live;
