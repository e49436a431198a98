//! The repository ports, implemented once and compiled once per backend (see the crate docs).
//!
//! `super` is the backend module: it names `Db` (the connection type), `Store` (the type the
//! ports are implemented on, with a `conn()` that checks a connection out of its pool) and
//! `dialect` (the statements the two databases spell differently), and `PROBE_NAME`.

mod audit;
mod catalog;
mod claims;
mod confirms;
mod health;
mod idempotency;
mod reconcile;
mod redemptions;
mod reservations;
mod slots;
mod users;

use super::{dialect, Db, Dialect, Store, PROBE_NAME};
