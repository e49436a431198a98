//! The lock, in-process: a map from key to the holder's token and lease end.
//!
//! Same contract as the Redis lock: a lease expires on its own after `ttl`, waiting is bounded
//! by `wait`, and releasing compares the token so an expired holder never frees its
//! successor's lock. Waiters sleep until a release, the current lease's end or their own
//! deadline, whichever comes first, instead of polling.

use crate::{guard, SWEEP_ABOVE};
use async_trait::async_trait;
use ports::{DistributedLock, LockError, LockLease};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Debug)]
struct Held {
    token: String,
    expires: Instant,
}

#[derive(Debug, Default)]
struct Shared {
    held: Mutex<HashMap<String, Held>>,
    released: Notify,
    next_token: AtomicU64,
}

#[derive(Debug, Clone)]
pub struct MemoryLock {
    shared: Arc<Shared>,
    ttl: Duration,
    wait: Duration,
}

impl MemoryLock {
    pub fn new(ttl: Duration, wait: Duration) -> Self {
        Self {
            shared: Arc::default(),
            ttl,
            wait,
        }
    }

    /// Takes the lock if it is free (or its lease ran out); otherwise says when that lease ends.
    fn try_take(&self, key: &str, token: &str) -> Result<(), Instant> {
        let mut held = guard(&self.shared.held);
        let now = Instant::now();
        if let Some(h) = held.get(key).filter(|h| h.expires > now) {
            return Err(h.expires);
        }
        if held.len() > SWEEP_ABOVE {
            held.retain(|_, h| h.expires > now);
        }
        held.insert(
            key.to_owned(),
            Held {
                token: token.to_owned(),
                expires: now + self.ttl,
            },
        );
        Ok(())
    }
}

#[async_trait]
impl DistributedLock for MemoryLock {
    async fn acquire(&self, key: &str) -> Result<LockLease, LockError> {
        let token = self
            .shared
            .next_token
            .fetch_add(1, Ordering::Relaxed)
            .to_string();
        let deadline = Instant::now() + self.wait;
        loop {
            // Registered before looking, so a release between the look and the sleep still
            // wakes this waiter.
            let released = self.shared.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            let lease_ends = match self.try_take(key, &token) {
                Ok(()) => {
                    return Ok(LockLease {
                        key: key.to_owned(),
                        token,
                    })
                }
                Err(ends) => ends,
            };
            if Instant::now() >= deadline {
                return Err(LockError::Timeout);
            }
            let _ = tokio::time::timeout_at(lease_ends.min(deadline), released).await;
        }
    }

    async fn release(&self, lease: LockLease) -> Result<(), LockError> {
        {
            let mut held = guard(&self.shared.held);
            if held.get(&lease.key).is_some_and(|h| h.token == lease.token) {
                held.remove(&lease.key);
            }
        }
        self.shared.released.notify_waiters();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(ttl_ms: u64, wait_ms: u64) -> MemoryLock {
        MemoryLock::new(
            Duration::from_millis(ttl_ms),
            Duration::from_millis(wait_ms),
        )
    }

    #[tokio::test]
    async fn a_held_lock_makes_the_next_caller_time_out() {
        let l = lock(10_000, 50);
        let _lease = l.acquire("k").await.expect("free lock");
        assert!(matches!(l.acquire("k").await, Err(LockError::Timeout)));
        assert!(l.acquire("other").await.is_ok(), "keys are independent");
    }

    #[tokio::test]
    async fn a_release_wakes_a_waiter_before_its_deadline() {
        let l = lock(10_000, 5_000);
        let lease = l.acquire("k").await.expect("free lock");
        let waiter = tokio::spawn({
            let l = l.clone();
            async move {
                let started = Instant::now();
                l.acquire("k").await.map(|_| started.elapsed())
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        l.release(lease).await.expect("release");
        let waited = waiter.await.expect("task").expect("lock after release");
        assert!(waited < Duration::from_secs(2), "waited {waited:?}");
    }

    #[tokio::test]
    async fn an_expired_lease_can_be_taken_and_its_late_release_frees_nothing() {
        let l = lock(30, 1_000);
        let stale = l.acquire("k").await.expect("free lock");
        let current = l.acquire("k").await.expect("taken after the lease ran out");
        l.release(stale).await.expect("late release");
        assert!(
            matches!(lock_probe(&l).await, Err(LockError::Timeout)),
            "the current holder still holds it"
        );
        l.release(current).await.expect("release");
    }

    async fn lock_probe(l: &MemoryLock) -> Result<LockLease, LockError> {
        let quick = MemoryLock {
            shared: l.shared.clone(),
            ttl: l.ttl,
            wait: Duration::from_millis(5),
        };
        quick.acquire("k").await
    }
}
