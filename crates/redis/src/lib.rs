//! Redis adapters: the distributed lock, the shared cache (session states and availability
//! tags), the voucher admission gate and a readiness probe, all dialled through one
//! deadpool-redis pool and under one key prefix.

mod admission;
mod batched;
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
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

/// Answers fail fast when Redis is gone instead of hanging the request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// No command waits longer than this for its answer.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// What a thread keeps for one backend: its multiplexed connection (emptied after a connection
/// error, so the next command dials afresh), and the session views waiting for the thread's next
/// batched read (see `batched`).
#[derive(Default)]
struct ThreadSlot {
    conn: Mutex<Option<MultiplexedConnection>>,
    views: Arc<batched::Batches<cache::ViewAsk, cache::ViewSeen>>,
}

type Slot = Arc<ThreadSlot>;

thread_local! {
    /// This thread's connection slot per backend (a backend and its clones share an identity).
    static SLOTS: RefCell<Vec<(Weak<()>, Slot)>> = const { RefCell::new(Vec::new()) };
}

/// The pool (which dials and configures connections), the key prefix every key of this
/// deployment starts with, and the identity under which each thread keeps its connection.
#[derive(Clone)]
pub struct RedisBackend {
    pool: Pool,
    prefix: String,
    identity: Arc<()>,
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
            identity: Arc::default(),
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

    /// This thread's connection slot, made on first use. Dead backends' slots are dropped then.
    fn slot(&self) -> Slot {
        SLOTS.with_borrow_mut(|slots| {
            if let Some((_, slot)) = slots
                .iter()
                .find(|(id, _)| std::ptr::eq(id.as_ptr(), Arc::as_ptr(&self.identity)))
            {
                return slot.clone();
            }
            slots.retain(|(id, _)| id.strong_count() > 0);
            let slot = Slot::default();
            slots.push((Arc::downgrade(&self.identity), slot.clone()));
            slot
        })
    }

    /// The connection of this thread. Every command of a thread goes over one multiplexed
    /// connection: concurrent requests are pipelined on it, so a burst costs Redis a few reads
    /// and writes instead of one pair per command. One per thread rather than one per process:
    /// its driver task then runs on the thread that sends and awaits the commands, and no
    /// command or answer has to wake another worker thread (perf showed those wake-ups on
    /// every request). It is dialled through the pool and replaced after a connection error.
    async fn conn(&self) -> Result<SharedConn, BackendError> {
        let slot = self.slot();
        let held = slot
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let conn = match held {
            Some(conn) => conn,
            None => {
                let pooled = self.pool.get().await.map_err(BackendError::new)?;
                let conn = deadpool_redis::Connection::take(pooled);
                *slot.conn.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
                conn
            }
        };
        Ok(SharedConn { conn, slot })
    }

    /// This thread's session views waiting for their read.
    fn views(&self) -> Arc<batched::Batches<cache::ViewAsk, cache::ViewSeen>> {
        self.slot().views.clone()
    }
}

/// A handle on the shared connection that gives it up after a connection error, so the next
/// command dials afresh, and bounds every command by `COMMAND_TIMEOUT`.
pub(crate) struct SharedConn {
    conn: MultiplexedConnection,
    slot: Slot,
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
                *self
                    .slot
                    .conn
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(prefix: &str) -> RedisBackend {
        // Connecting only builds the pool; nothing is dialled.
        RedisBackend::connect("redis://127.0.0.1:6379", 1, prefix).expect("a valid URL")
    }

    fn slots_on_this_thread() -> usize {
        SLOTS.with_borrow(Vec::len)
    }

    #[test]
    fn a_backend_and_its_clones_share_one_slot_per_thread() {
        let first = backend("a:");
        let same = first.clone();
        assert!(Arc::ptr_eq(&first.slot(), &same.slot()));
        let other = backend("b:");
        assert!(!Arc::ptr_eq(&first.slot(), &other.slot()));
        let elsewhere = std::thread::spawn(move || same.slot())
            .join()
            .expect("the thread ran");
        assert!(!Arc::ptr_eq(&first.slot(), &elsewhere));
    }

    #[test]
    fn slots_of_dropped_backends_are_pruned() {
        let before = slots_on_this_thread();
        let dropped = backend("gone:");
        let _ = dropped.slot();
        assert_eq!(slots_on_this_thread(), before + 1);
        drop(dropped);
        let kept = backend("kept:");
        let _ = kept.slot();
        assert_eq!(slots_on_this_thread(), before + 1);
    }
}
