//! The embedded store: one SQLite file, for a single process with no database server.
//!
//! The pool holds one connection. SQLite admits one writer at a time anyway; with a single
//! connection nothing ever waits on the file lock or fails with "database is locked", and an
//! in-process statement costs microseconds, so requests queue briefly at the pool instead.

mod claim_batch;
mod dialect;
mod isolated;
mod migrate;
// The same source, compiled once per backend (see the crate docs).
#[allow(
    clippy::duplicate_mod,
    reason = "the shared repository code is compiled for each connection type on purpose"
)]
#[path = "../repos/mod.rs"]
mod repos;

pub use isolated::SqliteStore;
pub use migrate::run_migrations;

use diesel::connection::SimpleConnection;
use diesel::{Connection, ConnectionError, ConnectionResult, SqliteConnection};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use ports::BackendError;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The connection type the shared repository code is compiled for here.
type Db = SyncConnectionWrapper<SqliteConnection>;
/// The statements the shared repository code spells this backend's way.
type Dialect = dialect::Sqlite;
/// The store the shared repository code implements the ports on here; the public
/// [`SqliteStore`] runs it on a runtime of its own (see `isolated`).
type Store = SqliteRepos;
/// What `/ready` calls this store.
const PROBE_NAME: &str = "sqlite";

/// Requests wait at most this long for the connection before failing with 503.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// Set on every connection. WAL lets readers of other processes (a slot-generator run) work
/// beside the server; `synchronous = FULL` makes every commit durable before it is answered;
/// foreign keys are off by default in SQLite; the busy timeout covers another process writing.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; \
    PRAGMA synchronous = FULL; \
    PRAGMA foreign_keys = ON; \
    PRAGMA busy_timeout = 5000;";

/// Checks that `path` names a file, not a server URL given to the wrong setting.
fn check_path(path: &Path) -> Result<(), BackendError> {
    let text = path.to_string_lossy();
    if text.contains("://") {
        return Err(BackendError::msg(format!(
            "the embedded database is a file path, not a URL ({text}); \
             to use PostgreSQL set DATABASE_URL instead"
        )));
    }
    if text.is_empty() {
        return Err(BackendError::msg("the embedded database path is empty"));
    }
    Ok(())
}

/// Opens the file (creating it and its folder when missing) and applies `PRAGMAS`.
fn open(path: &Path) -> ConnectionResult<SqliteConnection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            ConnectionError::BadConnection(format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(PRAGMAS).map_err(|e| {
        ConnectionError::BadConnection(format!(
            "{} is not a usable SQLite database: {e}",
            path.display()
        ))
    })?;
    Ok(conn)
}

/// A pool of one connection to the file, implementing every repository port.
#[derive(Clone)]
pub(crate) struct SqliteRepos {
    pool: Pool<Db>,
    path: PathBuf,
    hints: std::sync::Arc<crate::mode_hints::ModeHints>,
}

impl std::fmt::Debug for SqliteRepos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteRepos")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteRepos {
    /// Builds the pool on the file at `path`; the connection opens on first use.
    ///
    /// # Errors
    /// `path` looks like a URL or is empty.
    pub fn open(path: &Path) -> Result<Self, BackendError> {
        check_path(path)?;
        let mut config = ManagerConfig::<Db>::default();
        config.recycling_method = RecyclingMethod::Fast;
        let owned = path.to_owned();
        config.custom_setup = Box::new(move |_url| {
            let path = owned.clone();
            Box::pin(async move {
                let conn = tokio::task::spawn_blocking(move || open(&path))
                    .await
                    .map_err(|e| ConnectionError::BadConnection(e.to_string()))??;
                Ok(SyncConnectionWrapper::new(conn))
            })
        });
        let manager =
            AsyncDieselConnectionManager::<Db>::new_with_config(path.to_string_lossy(), config);
        let pool = Pool::builder(manager)
            .max_size(1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(BackendError::new)?;
        Ok(Self {
            pool,
            path: path.to_owned(),
            hints: std::sync::Arc::default(),
        })
    }

    fn mode_hints(&self) -> &crate::mode_hints::ModeHints {
        &self.hints
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn conn(&self) -> Result<Object<Db>, BackendError> {
        let started = std::time::Instant::now();
        let conn = self.pool.get().await.map_err(BackendError::new);
        crate::pool_metrics(started, self.pool.status());
        conn
    }
}
