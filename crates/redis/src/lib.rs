//! Redis adapters: the distributed lock, the shared cache (session states and availability
//! tags), the voucher admission gate and a readiness probe, all on one deadpool-redis pool and under one key prefix.

mod admission;
mod cache;
mod lock;
mod throttle;

pub use admission::RedisAdmission;
pub use cache::RedisCache;
pub use lock::RedisLock;
pub use throttle::RedisThrottle;

use async_trait::async_trait;
use deadpool_redis::redis::aio::{ConnectionLike, MultiplexedConnection};
use deadpool_redis::redis::{self, Cmd, Pipeline, RedisError, RedisFuture, Value};
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use ports::{BackendError, HealthProbe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Answers fail fast when Redis is gone instead of hanging the request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// No command waits longer than this for its answer.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The pool (which dials and configures connections), the key prefix every key of this
/// deployment starts with, and the one connection every request shares.
#[derive(Clone)]
pub struct RedisBackend {
    pool: Pool,
    prefix: String,
    shared: Arc<Mutex<Option<MultiplexedConnection>>>,
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
            shared: Arc::default(),
        })
    }

    pub fn lock(&self, ttl: Duration, wait: Duration) -> RedisLock {
        RedisLock::new(self.clone(), ttl, wait)
    }

    pub fn cache(&self) -> RedisCache {
        RedisCache::new(self.clone())
    }

    pub fn throttle(&self, limits: ports::ThrottleLimits) -> RedisThrottle {
        RedisThrottle::new(self.clone(), limits)
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

    /// The shared connection. Every command of this process goes over one multiplexed
    /// connection: concurrent requests are pipelined on it, so a burst costs Redis a few reads
    /// and writes instead of one pair per command, and costs this process one socket. It is
    /// dialled through the pool and replaced after a connection error.
    async fn conn(&self) -> Result<SharedConn, BackendError> {
        let held = self
            .shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let conn = match held {
            Some(conn) => conn,
            None => {
                let pooled = self.pool.get().await.map_err(BackendError::new)?;
                let conn = deadpool_redis::Connection::take(pooled);
                *self.shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
                conn
            }
        };
        Ok(SharedConn {
            conn,
            slot: self.shared.clone(),
        })
    }
}

/// A handle on the shared connection that gives it up after a connection error, so the next
/// command dials afresh, and bounds every command by `COMMAND_TIMEOUT`.
pub(crate) struct SharedConn {
    conn: MultiplexedConnection,
    slot: Arc<Mutex<Option<MultiplexedConnection>>>,
}

impl SharedConn {
    fn settle<T>(
        &self,
        outcome: Result<Result<T, RedisError>, tokio::time::error::Elapsed>,
    ) -> Result<T, RedisError> {
        let outcome = outcome.unwrap_or_else(|_| {
            Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "redis command timed out",
            )))
        });
        if let Err(e) = &outcome {
            metrics::counter!("redis_errors_total").increment(1);
            if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
                *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
        outcome
    }
}

impl ConnectionLike for SharedConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let outcome =
                tokio::time::timeout(COMMAND_TIMEOUT, self.conn.req_packed_command(cmd)).await;
            self.settle(outcome)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let outcome = tokio::time::timeout(
                COMMAND_TIMEOUT,
                self.conn.req_packed_commands(pipeline, offset, count),
            )
            .await;
            self.settle(outcome)
        })
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
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
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }
}
