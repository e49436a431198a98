//! The distributed lock: `SET key token NX PX ttl`, released by compare-and-delete.
//!
//! A lease expires on its own after `ttl`, so a crashed holder never blocks a reservation for
//! long. The flip side: if a holder stalls longer than `ttl` (a GC-less but paused process, a
//! slow database), a second caller may take the lock while the first still works. That cannot
//! oversell: every change the lock protects is also guarded inside PostgreSQL (conditional
//! updates on status and capacity, a CHECK constraint), so the late holder's transaction simply
//! finds the state changed and fails cleanly. The lock only serialises; the database decides.
//! Release compares the token, so an expired holder never deletes its successor's lock.

use crate::RedisBackend;
use async_trait::async_trait;
use deadpool_redis::redis::{self, Script};
use ports::{BackendError, DistributedLock, LockError, LockLease};
use rand::Rng;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"if redis.call("GET", KEYS[1]) == ARGV[1] then
               return redis.call("DEL", KEYS[1])
           else
               return 0
           end"#,
    )
});

const FIRST_BACKOFF: Duration = Duration::from_millis(2);
const MAX_BACKOFF: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct RedisLock {
    backend: RedisBackend,
    ttl: Duration,
    wait: Duration,
}

impl RedisLock {
    pub fn new(backend: RedisBackend, ttl: Duration, wait: Duration) -> Self {
        Self { backend, ttl, wait }
    }

    async fn try_once(&self, key: &str, token: &str) -> Result<bool, BackendError> {
        let mut conn = self.backend.conn().await?;
        let set: Option<String> = redis::cmd("SET")
            .arg(key)
            .arg(token)
            .arg("NX")
            .arg("PX")
            .arg(self.ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(set.is_some())
    }
}

#[async_trait]
impl DistributedLock for RedisLock {
    async fn acquire(&self, key: &str) -> Result<LockLease, LockError> {
        let key = self.backend.key(&format!("lock:{key}"));
        let token = format!("{:032x}", rand::rng().random::<u128>());
        let started = Instant::now();
        let deadline = started + self.wait;
        let mut backoff = FIRST_BACKOFF;
        loop {
            if self.try_once(&key, &token).await? {
                metrics::histogram!("lock_wait_seconds").record(started.elapsed().as_secs_f64());
                return Ok(LockLease { key, token });
            }
            let now = Instant::now();
            if now >= deadline {
                metrics::counter!("lock_busy_total").increment(1);
                return Err(LockError::Timeout);
            }
            // Full jitter keeps many waiters from retrying in lockstep.
            let sleep = backoff.mul_f64(rand::rng().random_range(0.5..=1.0));
            tokio::time::sleep(sleep.min(deadline - now)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn release(&self, lease: LockLease) -> Result<(), LockError> {
        let mut conn = self.backend.conn().await?;
        let released: i64 = RELEASE
            .key(&lease.key)
            .arg(&lease.token)
            .invoke_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        if released == 0 {
            // The lease ran out while the holder still worked (the database guards held).
            metrics::counter!("lock_lease_expired_total").increment(1);
        }
        Ok(())
    }
}
