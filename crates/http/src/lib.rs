//! The HTTP layer: routes, request parsing, error mapping and the OpenAPI document.
//!
//! Handlers only translate: they authenticate through the auth use case, parse input into plain
//! values, call one use case, and turn its result into JSON. Every error reaches the client as
//! RFC 9457 problem+json through one mapping in [`problem`].

mod api;
pub mod client_addr;
pub mod dto;
mod extract;
mod handlers;
mod idempotent;
pub mod metrics;
pub mod openapi;
pub mod problem;
mod request_log;
mod routes;
pub mod security;

pub use handlers::health::Readiness;
pub use request_log::{request_log, REQUEST_ID};
pub use routes::{configure, problem_bodies, ApiConfig};
