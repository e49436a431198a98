-- The same index dropped as in the PostgreSQL migration of the same name, so both schemas stay
-- alike. SQLite has no fill factor; each confirm still writes one index entry fewer.
DROP INDEX reservations_status_newest;
