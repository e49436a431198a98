//! Per-test PostgreSQL databases (see lib.rs).
