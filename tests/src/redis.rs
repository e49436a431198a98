//! Per-test Redis key prefixes (see lib.rs).
