//! Embedded migrations, run at start-up under an advisory lock so that several instances
//! starting together apply them once.

use diesel::{Connection, RunQueryDsl};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use ports::BackendError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Any constant works; it only has to be the same in every instance of this service.
const MIGRATION_LOCK: i64 = 0x6578_616d_5f62_6b67;

/// Applies pending migrations and returns how many ran.
///
/// The migration harness is synchronous, so it runs on a thread of its own (with its own small
/// runtime), never on an async worker.
///
/// # Errors
/// The database is unreachable or a migration fails.
pub async fn run_migrations(url: &str) -> Result<usize, BackendError> {
    let url = url.to_owned();
    let (done, outcome) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = done.send(migrate_blocking(&url));
    });
    outcome
        .await
        .map_err(|_| BackendError::msg("the migration thread died"))?
}

fn migrate_blocking(url: &str) -> Result<usize, BackendError> {
    let mut conn =
        AsyncConnectionWrapper::<AsyncPgConnection>::establish(url).map_err(BackendError::new)?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(&mut conn)
        .map_err(BackendError::new)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.len())
        .map_err(BackendError::new);
    let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .execute(&mut conn);
    applied
}
