//! Embedded migrations, run at start-up under an advisory lock so that several instances
//! starting together apply them once, or by `api-server migrate` with the schema owner's URL,
//! which can also grant a plain role what the server needs (and no more).
//!
//! A server that runs as a plain role finds nothing pending and touches no schema: it only
//! reads which migrations are applied. Diesel's harness would first create its bookkeeping
//! table, which a role without CREATE on the schema may not even try.

use diesel::migration::MigrationSource;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
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

#[derive(QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Whether every embedded migration is recorded as applied (false when the bookkeeping table is
/// missing or unreadable).
fn up_to_date(conn: &mut AsyncConnectionWrapper<AsyncPgConnection>) -> bool {
    let Ok(applied) = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load::<AppliedVersion>(conn)
    else {
        return false;
    };
    let applied: std::collections::HashSet<String> =
        applied.into_iter().map(|v| v.version).collect();
    let Ok(embedded) = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS) else {
        return false;
    };
    embedded
        .iter()
        .all(|m| applied.contains(&m.name().version().to_string()))
}

fn migrate_blocking(url: &str) -> Result<usize, BackendError> {
    let mut conn = connect_or_create(url)?;
    if up_to_date(&mut conn) {
        return Ok(0);
    }
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(&mut conn)
        .map_err(BackendError::new)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.len())
        .map_err(|e| {
            BackendError::msg(format!(
                "migrations are pending and could not be applied ({e}); a server that runs as \
                 a role which does not own the schema needs `api-server migrate` run first \
                 with the owner's DATABASE_URL"
            ))
        });
    let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .execute(&mut conn);
    applied
}

/// Grants `role` what the server needs on the migrated schema, and no more: rows of every table
/// but the audit trail may be read and written; audit rows may only be read and added; the
/// migrations' own bookkeeping is read-only. A role that does not own a table can neither
/// ALTER nor TRUNCATE it, nor drop its triggers. Run it after every migration (new tables get
/// no grants by themselves); it is idempotent.
///
/// # Errors
/// The database is unreachable, `role` does not exist or is no plain identifier, or the
/// caller may not grant.
pub async fn grant_server_role(url: &str, role: &str) -> Result<(), BackendError> {
    let plain = !role.is_empty()
        && role.len() <= 63
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !plain {
        return Err(BackendError::msg(format!(
            "'{role}' is not a plain role name (lower-case letters, digits and _)"
        )));
    }
    let statements = [
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role}"),
        format!(
            "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON __diesel_schema_migrations FROM {role}"
        ),
    ];
    let url = url.to_owned();
    let (done, outcome) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let granted = (|| {
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
                .map_err(BackendError::new)?;
            conn.transaction(|conn| {
                for statement in &statements {
                    diesel::sql_query(statement).execute(conn)?;
                }
                diesel::QueryResult::Ok(())
            })
            .map_err(BackendError::new)
        })();
        let _ = done.send(granted);
    });
    outcome
        .await
        .map_err(|_| BackendError::msg("the grant thread died"))?
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
