//! Redis adapters: the distributed lock, the shared cache (session states and availability
//! tags), the voucher admission gate and a readiness probe, all on one deadpool-redis pool and under one key prefix.

mod admission;
mod cache;
mod lock;

pub use admission::RedisAdmission;
pub use cache::RedisCache;
pub use lock::RedisLock;

use async_trait::async_trait;
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use ports::{BackendError, HealthProbe};
use std::time::Duration;

/// Answers fail fast when Redis is gone instead of hanging the request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A pool plus the key prefix every key of this deployment starts with.
#[derive(Clone)]
pub struct RedisBackend {
    pool: Pool,
    prefix: String,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    /// Builds the pool; connections are opened lazily, so an unreachable Redis shows up on first
    /// use (and in `/ready`), not here.
    ///
    /// # Errors
    /// An invalid URL.
    pub fn connect(url: &str, pool_size: usize, prefix: &str) -> Result<Self, BackendError> {
        let mut config = Config::from_url(url);
        config.pool = Some(PoolConfig {
            max_size: pool_size,
            timeouts: Timeouts {
                wait: Some(CONNECT_TIMEOUT),
                create: Some(CONNECT_TIMEOUT),
                recycle: Some(CONNECT_TIMEOUT),
            },
            ..PoolConfig::default()
        });
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(BackendError::new)?;
        Ok(Self {
            pool,
            prefix: prefix.to_owned(),
        })
    }

    pub fn lock(&self, ttl: Duration, wait: Duration) -> RedisLock {
        RedisLock::new(self.clone(), ttl, wait)
    }

    pub fn cache(&self) -> RedisCache {
        RedisCache::new(self.clone())
    }

    pub fn admission(&self) -> RedisAdmission {
        RedisAdmission::new(self.clone())
    }

    pub fn probe(&self) -> RedisProbe {
        RedisProbe(self.clone())
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    async fn conn(&self) -> Result<deadpool_redis::Connection, BackendError> {
        self.pool.get().await.map_err(BackendError::new)
    }
}

/// `/ready`'s view of Redis.
#[derive(Debug, Clone)]
pub struct RedisProbe(RedisBackend);

#[async_trait]
impl HealthProbe for RedisProbe {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> Result<(), BackendError> {
        let mut conn = self.0.conn().await?;
        let _: String = deadpool_redis::redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }
}
