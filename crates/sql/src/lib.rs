//! SQL adapters for the repository ports, on PostgreSQL (several processes, production) and on
//! an embedded SQLite file (one process, no server to install), both through diesel.
//!
//! The query logic is written once, in `repos/`, and compiled once per backend: each backend
//! module names its connection type and supplies the few statements the two databases spell
//! differently (row locks, bulk updates, the one-statement confirm) in its `dialect` module. The rules are
//! therefore the same everywhere: every port method that changes counters is one transaction
//! whose statements are guarded on their own (status still as read, `confirmed + seats <=
//! capacity`, `remaining > 0`), with a CHECK constraint as the last line.

mod audit_json;
mod dialect;
mod errors;
mod mode_hints;
mod postgres;
mod rows;
mod schema;
mod sqlite;
mod statements;

pub use postgres::{grant_server_role, run_migrations as run_pg_migrations, PgStore};
pub use sqlite::{run_migrations as run_sqlite_migrations, SqliteStore};

use ports::BackendError;
use std::path::Path;

/// The pool as Prometheus sees it, updated at every checkout: its size, the connections in use
/// and how long the request waited for one.
fn pool_metrics(started: std::time::Instant, status: deadpool::Status) {
    metrics::histogram!("db_pool_wait_seconds").record(started.elapsed().as_secs_f64());
    metrics::gauge!("db_pool_max_size").set(status.max_size as f64);
    metrics::gauge!("db_pool_size").set(status.size as f64);
    metrics::gauge!("db_pool_in_use").set(status.size.saturating_sub(status.available) as f64);
}

/// Migrates the PostgreSQL database at `url` (creating it when missing) and opens a pool of
/// `pool_size` connections on it.
///
/// # Errors
/// The server is unreachable, the URL is not PostgreSQL's, or a migration fails.
pub async fn open_postgres(url: &str, pool_size: usize) -> Result<PgStore, BackendError> {
    run_pg_migrations(url).await?;
    PgStore::connect(url, pool_size)
}

/// Migrates the SQLite file at `path` (creating it and its folder when missing) and opens it.
///
/// # Errors
/// The file cannot be created, is not an SQLite database, or a migration fails.
pub async fn open_sqlite(path: &Path) -> Result<SqliteStore, BackendError> {
    run_sqlite_migrations(path).await?;
    SqliteStore::open(path)
}
