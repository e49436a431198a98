//! Log-in throttling in this process: a token bucket per key, refilled over the window.
//!
//! (`governor` was the candidate crate, but its keyed limiter can neither look without taking
//! nor forget one key, and a successful log-in must clear the account's counters.)

use crate::guard;
use async_trait::async_trait;
use ports::{Attempt, BackendError, LoginThrottle, Throttle, ThrottleLimits};
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
    async fn check(&self, attempt: &Attempt) -> Result<Throttle, BackendError> {
        let now = Instant::now();
        let buckets = guard(&self.buckets);
        let mut wait = Duration::ZERO;
        let [pair, account, client] = self.limits.keys(attempt);
        let failures_on_record = buckets.contains_key(&pair.0) || buckets.contains_key(&account.0);
        for (key, cap) in [pair, account, client] {
            let tokens = self.refilled(buckets.get(&key), cap, now);
            if tokens < 1.0 {
                wait = wait.max(Duration::from_secs_f64((1.0 - tokens) / self.rate(cap)));
            }
        }
        Ok(if wait.is_zero() {
            Throttle::Allowed { failures_on_record }
        } else {
            Throttle::Wait(wait)
        })
    }

    async fn failed(&self, attempt: &Attempt) -> Result<(), BackendError> {
        let now = Instant::now();
        let mut buckets = guard(&self.buckets);
        if buckets.len() > SWEEP_ABOVE {
            let window = self.limits.window;
            buckets.retain(|_, b| now.duration_since(b.at) < window);
        }
        for (key, cap) in self.limits.keys(attempt) {
            let tokens = self.refilled(buckets.get(&key), cap, now);
            buckets.insert(
                key,
                Bucket {
                    tokens: (tokens - 1.0).max(0.0),
                    at: now,
                },
            );
        }
        Ok(())
    }

    async fn succeeded(&self, attempt: &Attempt) -> Result<(), BackendError> {
        let [pair, account, _client] = self.limits.keys(attempt);
        let mut buckets = guard(&self.buckets);
        buckets.remove(&pair.0);
        buckets.remove(&account.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean() -> Throttle {
        Throttle::Allowed {
            failures_on_record: false,
        }
    }

    fn attempt(account: &str, client: &str) -> Attempt {
        Attempt {
            account: account.into(),
            client: client.into(),
        }
    }

    #[tokio::test]
    async fn failures_past_the_pair_limit_wait_and_a_success_clears_the_account() {
        let limits = ThrottleLimits {
            window: Duration::from_secs(60),
            per_account_and_client: 3,
            per_account: 10,
            per_client: 10,
        };
        let t = MemoryThrottle::new(limits);
        let a = attempt("alice", "10.0.0.1");
        assert_eq!(t.check(&a).await.expect("check"), clean());
        for _ in 0..3 {
            t.failed(&a).await.expect("failed");
            assert!(matches!(
                t.check(&a).await.expect("check"),
                Throttle::Wait(_)
                    | Throttle::Allowed {
                        failures_on_record: true
                    }
            ));
        }
        let Throttle::Wait(wait) = t.check(&a).await.expect("check") else {
            panic!("throttled after 3 failures");
        };
        assert!(wait > Duration::from_secs(10) && wait <= Duration::from_secs(20));
        // Another address for the same account is not held back by the pair limit.
        let b = attempt("alice", "10.0.0.2");
        assert_eq!(
            t.check(&b).await.expect("check"),
            Throttle::Allowed {
                failures_on_record: true
            },
            "the account's own count has failures"
        );
        t.succeeded(&a).await.expect("cleared");
        assert_eq!(t.check(&a).await.expect("check"), clean());
        // The address's count is not cleared, and is no account's record.
        assert_eq!(
            t.check(&attempt("bob", "10.0.0.1")).await.expect("check"),
            clean()
        );
    }
}
