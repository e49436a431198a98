//! The PostgreSQL store: a deadpool of diesel-async connections. Slot rows are always locked in
//! ascending `starts_at` order, so concurrent changes cannot deadlock on them.

mod dialect;
mod migrate;
mod statements;
// The same source, compiled once per backend (see the crate docs).
#[allow(
    clippy::duplicate_mod,
    reason = "the shared repository code is compiled for each connection type on purpose"
)]
#[path = "../repos/mod.rs"]
mod repos;

pub use migrate::{grant_server_role, run_migrations};

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::AsyncPgConnection;
use ports::BackendError;
use std::time::Duration;

/// The connection type the shared repository code is compiled for here.
type Db = AsyncPgConnection;
/// The statements the shared repository code spells this backend's way.
type Dialect = dialect::Postgres;
/// The store the shared repository code implements the ports on here.
type Store = PgStore;
/// What `/ready` calls this store.
const PROBE_NAME: &str = "postgres";

/// Requests wait at most this long for a pooled connection before failing with 503.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// The store: one pool, implementing every repository port.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<AsyncPgConnection>,
    hints: std::sync::Arc<crate::mode_hints::ModeHints>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PgStore {
    /// Builds the pool; connections open lazily.
    ///
    /// # Errors
    /// A URL that is not PostgreSQL's, or an invalid pool configuration.
    pub fn connect(url: &str, pool_size: usize) -> Result<Self, BackendError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(BackendError::msg(
                "a PostgreSQL URL starts with postgres:// or postgresql://",
            ));
        }
        // A broken connection surfaces as an error on its first real query anyway; verifying
        // every checkout with a test query would double the round trips of every request.
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        let manager =
            AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(BackendError::new)?;
        Ok(Self {
            pool,
            hints: std::sync::Arc::default(),
        })
    }

    fn mode_hints(&self) -> &crate::mode_hints::ModeHints {
        &self.hints
    }

    async fn conn(&self) -> Result<Object<AsyncPgConnection>, BackendError> {
        let started = std::time::Instant::now();
        let conn = self.pool.get().await.map_err(BackendError::new);
        crate::pool_metrics(started, self.pool.status());
        conn
    }
}
