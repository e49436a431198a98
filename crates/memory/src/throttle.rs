//! Log-in throttling in this process: a token bucket per key, refilled over the window.
//!
//! (`governor` was the candidate crate, but its keyed limiter can neither take from several
//! keys all-or-nothing nor forget one key, and a successful log-in must clear the account's
//! counters.)

use crate::guard;
use async_trait::async_trait;
use ports::{Attempt, BackendError, LoginThrottle, OnSuccess, Throttle, ThrottleLimits};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Past this many keys, full (idle) buckets are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug, Clone)]
pub struct MemoryThrottle {
    limits: ThrottleLimits,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

impl MemoryThrottle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            limits,
            buckets: Arc::default(),
        }
    }

    /// Tokens per second for a key allowed `cap` failures per window.
    fn rate(&self, cap: u32) -> f64 {
        f64::from(cap) / self.limits.window.as_secs_f64().max(1e-3)
    }

    /// Clears or refunds each of the attempt's buckets, as `what` says for its kind.
    fn settle(
        &self,
        attempt: &Attempt,
        what: impl Fn(OnSuccess) -> OnSuccess,
    ) -> Result<(), BackendError> {
        let now = Instant::now();
        let mut buckets = guard(&self.buckets);
        for bucket in self.limits.buckets(attempt) {
            match what(bucket.on_success) {
                OnSuccess::Clear => {
                    buckets.remove(&bucket.key);
                }
                OnSuccess::Refund => {
                    let tokens = self.refilled(buckets.get(&bucket.key), bucket.capacity, now);
                    let tokens = (tokens + 1.0).min(f64::from(bucket.capacity));
                    buckets.insert(bucket.key, Bucket { tokens, at: now });
                }
            }
        }
        Ok(())
    }

    fn refilled(&self, bucket: Option<&Bucket>, cap: u32, now: Instant) -> f64 {
        match bucket {
            None => f64::from(cap),
            Some(b) => (b.tokens + now.duration_since(b.at).as_secs_f64() * self.rate(cap))
                .min(f64::from(cap)),
        }
    }
}

#[async_trait]
impl LoginThrottle for MemoryThrottle {
    async fn reserve(&self, attempt: &Attempt) -> Result<Throttle, BackendError> {
        let now = Instant::now();
        let plan = self.limits.buckets(attempt);
        // One lock over the look and the take: concurrent attempts are counted one by one.
        let mut buckets = guard(&self.buckets);
        if buckets.len() > SWEEP_ABOVE {
            let window = self.limits.window;
            buckets.retain(|_, b| now.duration_since(b.at) < window);
        }
        let tokens: Vec<f64> = plan
            .iter()
            .map(|b| self.refilled(buckets.get(&b.key), b.capacity, now))
            .collect();
        let wait = plan
            .iter()
            .zip(&tokens)
            .filter(|(_, t)| **t < 1.0)
            .map(|(b, t)| Duration::from_secs_f64((1.0 - t) / self.rate(b.capacity)))
            .max();
        if let Some(wait) = wait {
            return Ok(Throttle::Wait(wait.max(Duration::from_millis(1))));
        }
        for (bucket, tokens) in plan.into_iter().zip(tokens) {
            buckets.insert(
                bucket.key,
                Bucket {
                    tokens: tokens - 1.0,
                    at: now,
                },
            );
        }
        Ok(Throttle::Reserved)
    }

    async fn succeeded(&self, attempt: &Attempt) -> Result<(), BackendError> {
        self.settle(attempt, |on_success| on_success)
    }

    async fn give_back(&self, attempt: &Attempt) -> Result<(), BackendError> {
        self.settle(attempt, |_| OnSuccess::Refund)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(account: &str, client: &str) -> Attempt {
        Attempt {
            account: account.into(),
            client: client.into(),
            device: None,
        }
    }

    fn limits() -> ThrottleLimits {
        ThrottleLimits {
            window: Duration::from_secs(60),
            per_account_and_client: 3,
            per_account: 10,
            per_client: 10,
        }
    }

    #[tokio::test]
    async fn attempts_past_the_pair_limit_wait_and_a_success_clears_the_account() {
        let t = MemoryThrottle::new(limits());
        let a = attempt("alice", "10.0.0.1");
        for _ in 0..3 {
            assert_eq!(t.reserve(&a).await.expect("reserve"), Throttle::Reserved);
        }
        let Throttle::Wait(wait) = t.reserve(&a).await.expect("reserve") else {
            panic!("throttled after 3 attempts");
        };
        assert!(wait > Duration::from_secs(10) && wait <= Duration::from_secs(20));
        // Another address for the same account is not held back by the pair limit.
        let b = attempt("alice", "10.0.0.2");
        assert_eq!(t.reserve(&b).await.expect("reserve"), Throttle::Reserved);
        t.succeeded(&b).await.expect("cleared");
        // The pair bucket of the other address is its own; the account-wide one was cleared.
        assert!(matches!(t.reserve(&a).await, Ok(Throttle::Wait(_))));
    }

    #[tokio::test]
    async fn a_refused_attempt_takes_nothing_from_the_other_buckets() {
        let t = MemoryThrottle::new(limits());
        let a = attempt("alice", "10.0.0.1");
        for _ in 0..3 {
            t.reserve(&a).await.expect("reserve");
        }
        for _ in 0..50 {
            assert!(matches!(t.reserve(&a).await, Ok(Throttle::Wait(_))));
        }
        // alice's account-wide bucket paid only for the 3 reserved attempts: 7 more from 7
        // addresses fit.
        for i in 0..7 {
            let other = attempt("alice", &format!("10.0.1.{i}"));
            assert_eq!(
                t.reserve(&other).await.expect("reserve"),
                Throttle::Reserved
            );
        }
        let last = attempt("alice", "10.0.2.1");
        assert!(matches!(t.reserve(&last).await, Ok(Throttle::Wait(_))));
    }

    #[tokio::test]
    async fn a_trusted_device_logs_in_while_the_account_bucket_is_empty() {
        let t = MemoryThrottle::new(limits());
        for i in 0..10 {
            let other = attempt("alice", &format!("10.0.1.{i}"));
            assert_eq!(
                t.reserve(&other).await.expect("reserve"),
                Throttle::Reserved
            );
        }
        let owner = attempt("alice", "10.0.9.9");
        assert!(matches!(t.reserve(&owner).await, Ok(Throttle::Wait(_))));
        let trusted = Attempt {
            device: Some("laptop".into()),
            ..owner
        };
        assert_eq!(
            t.reserve(&trusted).await.expect("reserve"),
            Throttle::Reserved
        );
    }

    #[tokio::test]
    async fn a_success_gives_the_address_its_token_back() {
        let t = MemoryThrottle::new(ThrottleLimits {
            per_client: 2,
            ..limits()
        });
        for name in ["a", "b", "c", "d"] {
            let ok = attempt(name, "10.0.0.1");
            assert_eq!(t.reserve(&ok).await.expect("reserve"), Throttle::Reserved);
            t.succeeded(&ok).await.expect("succeeded");
        }
    }
}
