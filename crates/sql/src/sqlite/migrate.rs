//! Embedded migrations for the SQLite file, run at start-up.

use diesel::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use ports::BackendError;
use std::path::Path;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Creates the file when missing, applies pending migrations and returns how many ran.
///
/// Runs on a thread of its own: the migration harness is synchronous.
///
/// # Errors
/// `path` is not a usable SQLite file, or a migration fails.
pub async fn run_migrations(path: &Path) -> Result<usize, BackendError> {
    super::check_path(path)?;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || migrate_blocking(&path))
        .await
        .map_err(|_| BackendError::msg("the migration thread died"))?
}

fn migrate_blocking(path: &Path) -> Result<usize, BackendError> {
    let mut conn = super::open(path).map_err(BackendError::new)?;
    // BEGIN IMMEDIATE: a second process starting at the same moment waits for this one and
    // then finds nothing pending, instead of applying the same migrations twice.
    conn.immediate_transaction(|conn: &mut SqliteConnection| {
        conn.run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.len())
            .map_err(|e| -> Failure { e })
    })
    .map_err(|e: Failure| BackendError::msg(format!("{}: {e}", path.display())))
}
