//! PostgreSQL adapters for the repository ports (diesel + diesel-async on a deadpool pool),
//! and the embedded migrations.
//!
//! Each port method that changes counters is one transaction whose statements are guarded on
//! their own (status still as read, `confirmed + seats <= capacity`, `remaining > 0`), with a
//! CHECK constraint as the last line. Slot rows are always locked in ascending `starts_at`
//! order, so concurrent changes cannot deadlock on them.

mod errors;
mod migrate;
mod reservations;
mod rows;
mod schema;
mod slots;
mod users;
mod vouchers;

pub use migrate::run_migrations;

use async_trait::async_trait;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use ports::{BackendError, HealthProbe};
use std::time::Duration;

type Conn = Object<AsyncPgConnection>;

/// Requests wait at most this long for a pooled connection before failing with 503.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// The store: one pool, implementing every repository port.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<AsyncPgConnection>,
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
    /// An invalid pool configuration.
    pub fn connect(url: &str, pool_size: usize) -> Result<Self, BackendError> {
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
        Ok(Self { pool })
    }

    async fn conn(&self) -> Result<Conn, BackendError> {
        self.pool.get().await.map_err(BackendError::new)
    }
}

#[async_trait]
impl HealthProbe for PgStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), BackendError> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }
}
