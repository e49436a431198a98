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

/// Splits `postgres://.../name?params` into the URL of the server's `postgres` database and
/// `name`.
fn maintenance_url(url: &str) -> Option<(String, String)> {
    let (base, rest) = url.rsplit_once('/')?;
    let (name, query) = rest.split_once('?').map_or((rest, ""), |(n, q)| (n, q));
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid || base.ends_with('/') {
        return None;
    }
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    Some((format!("{base}/postgres{query}"), name.to_owned()))
}

/// Connects, creating the database first when the server answers that it does not exist (a
/// first start needs no manual `createdb`).
fn connect_or_create(url: &str) -> Result<AsyncConnectionWrapper<AsyncPgConnection>, BackendError> {
    match AsyncConnectionWrapper::<AsyncPgConnection>::establish(url) {
        Ok(conn) => Ok(conn),
        Err(e) if e.to_string().contains("does not exist") => {
            let (server, name) = maintenance_url(url).ok_or_else(|| BackendError::new(e))?;
            let mut admin = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&server)
                .map_err(BackendError::new)?;
            tracing::info!(database = %name, "creating the database");
            // A concurrent instance may have created it meanwhile: that is fine.
            let _ = diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin);
            AsyncConnectionWrapper::<AsyncPgConnection>::establish(url).map_err(BackendError::new)
        }
        Err(e) => Err(BackendError::new(e)),
    }
}

fn migrate_blocking(url: &str) -> Result<usize, BackendError> {
    let mut conn = connect_or_create(url)?;
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

#[cfg(test)]
mod tests {
    use super::maintenance_url;

    #[test]
    fn maintenance_url_points_at_the_postgres_database_of_the_same_server() {
        assert_eq!(
            maintenance_url("postgres://u:p@h:5432/exam_booking?sslmode=disable"),
            Some((
                "postgres://u:p@h:5432/postgres?sslmode=disable".to_owned(),
                "exam_booking".to_owned()
            ))
        );
        assert_eq!(maintenance_url("postgres://h/bad-name"), None);
    }
}
