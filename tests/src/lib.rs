//! Shared support for the integration tests. Every test gets a database of its own (PostgreSQL
//! cloned from a migrated template, or a copy of a migrated SQLite file) and, on the server
//! backend, a Redis key prefix of its own; all are cleaned up on drop.
//!
//! Behavioural suites run on both backends: write the test as `async fn name(backend: Backend)`
//! and list it in `on_both_backends!`, which makes `server::name` and `embedded::name` tests.

pub mod app;
pub mod browser;
pub mod db;
pub mod redis;
pub mod sqlite;
pub mod store;

use std::path::Path;

/// Where a test's service keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL and Redis: the production shape.
    Server,
    /// An SQLite file and the in-process lock, revocations and admission gate.
    Embedded,
}

/// Runs each listed `async fn name(backend: Backend)` as two tests, `server::name` and
/// `embedded::name`. An optional leading `#[attribute]` replaces `#[actix_web::test]`.
#[macro_export]
macro_rules! on_both_backends {
    (#[$runner:meta] $($name:ident),+ $(,)?) => {
        mod server {
            $(#[$runner] async fn $name() {
                super::$name($crate::Backend::Server).await
            })+
        }
        mod embedded {
            $(#[$runner] async fn $name() {
                super::$name($crate::Backend::Embedded).await
            })+
        }
    };
    ($($name:ident),+ $(,)?) => {
        $crate::on_both_backends!(#[actix_web::test] $($name),+);
    };
}

/// FNV-1a over every migration file of `backend_dir` (under `migrations/`), in name order.
pub(crate) fn migrations_hash(backend_dir: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend_dir);
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("migrations folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let bytes = std::fs::read(&file).expect("migration readable");
        for b in file.to_string_lossy().bytes().chain(bytes) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// An audit note for repository calls made directly by tests (no admin behind them).
pub fn test_note(action: domain::audit::AuditAction) -> domain::audit::AuditNote {
    domain::audit::AuditNote::new(time::OffsetDateTime::now_utc(), None, action, None)
}
