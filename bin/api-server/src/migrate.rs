//! `api-server migrate`: the schema owner applies the migrations, and may grant the server's
//! plain role what it needs, so that the servers themselves run without owning anything.

use crate::StartError;
use settings::{DatabaseChoice, Settings};

/// Applies pending migrations to the configured database; with `grant_to` (PostgreSQL only),
/// grants that role the server's privileges. Returns a line for the operator.
///
/// # Errors
/// An unreachable database, a failed migration or grant, or `grant_to` on the embedded file.
pub async fn migrate(settings: &Settings, grant_to: Option<&str>) -> Result<String, StartError> {
    let choice = settings.database_choice()?;
    let target = choice.describe();
    let failed = |e: ports::BackendError| StartError::Database(e.to_string());
    let applied = match &choice {
        DatabaseChoice::Postgres { url } => {
            let applied = adapter_sql::run_pg_migrations(url.expose())
                .await
                .map_err(failed)?;
            if let Some(role) = grant_to {
                adapter_sql::grant_server_role(url.expose(), role)
                    .await
                    .map_err(failed)?;
            }
            applied
        }
        DatabaseChoice::Embedded { path } => {
            if grant_to.is_some() {
                return Err(StartError::Other(
                    "--grant-to applies to PostgreSQL; the embedded database is a file, guarded \
                     by its permissions"
                        .into(),
                ));
            }
            adapter_sql::run_sqlite_migrations(path)
                .await
                .map_err(failed)?
        }
    };
    let granted = grant_to.map_or_else(String::new, |role| {
        format!("; granted the server's privileges to {role}")
    });
    Ok(format!("{target}: {applied} migration(s) applied{granted}"))
}
