//! Shared support for the integration tests: a fresh PostgreSQL database per test (cloned from
//! a migrated template) and a unique Redis key prefix per test, both cleaned up on drop.

pub mod app;
pub mod db;
pub mod redis;
