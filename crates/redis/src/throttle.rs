//! Log-in throttling shared by every process: a token bucket per key in a Redis hash, refilled
//! over the window, reserved and settled by one script on Redis's own clock. A script runs
//! alone, so the look at every bucket and the take from all of them are one step.

use crate::RedisBackend;
use async_trait::async_trait;
use deadpool_redis::redis::Script;
use ports::{Attempt, BackendError, LoginThrottle, OnSuccess, Throttle, ThrottleLimits};
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS: the attempt's buckets. ARGV: `reserve`, `succeeded` or `give_back`, the window in ms,
/// then for each bucket its capacity and what a success does to it (`clear` or `refund`).
///
/// `reserve` takes one token from every bucket when each holds one and returns 0, or takes
/// nothing and returns the milliseconds until the emptiest has one. `succeeded` deletes the
/// buckets to clear and gives one token back to the others; `give_back` gives one back to
/// every bucket.
static BUCKETS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"local t = redis.call("TIME")
           local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
           local op, window = ARGV[1], tonumber(ARGV[2])
           local caps, tokens = {}, {}
           local wait = 0
           for i, key in ipairs(KEYS) do
               local cap = tonumber(ARGV[1 + 2 * i])
               local state = redis.call("HMGET", key, "tokens", "at")
               local left = tonumber(state[1]) or cap
               local at = tonumber(state[2]) or now
               left = math.min(cap, left + (now - at) * cap / window)
               caps[i], tokens[i] = cap, left
               if left < 1 then
                   local w = math.ceil((1 - left) * window / cap)
                   if w > wait then wait = w end
               end
           end
           if op == "reserve" and wait > 0 then return math.max(wait, 1) end
           for i, key in ipairs(KEYS) do
               local left = tokens[i] - 1
               if op == "give_back" then
                   left = math.min(caps[i], tokens[i] + 1)
               elseif op == "succeeded" then
                   if ARGV[2 + 2 * i] == "clear" then
                       redis.call("DEL", key)
                       left = nil
                   else
                       left = math.min(caps[i], tokens[i] + 1)
                   end
               end
               if left then
                   redis.call("HSET", key, "tokens", tostring(left), "at", now)
                   redis.call("PEXPIRE", key, window)
               end
           end
           return 0"#,
    )
});

#[derive(Debug, Clone)]
pub struct RedisThrottle {
    backend: RedisBackend,
    limits: ThrottleLimits,
}

impl RedisThrottle {
    pub fn new(backend: RedisBackend, limits: ThrottleLimits) -> Self {
        Self { backend, limits }
    }

    async fn run(&self, attempt: &Attempt, op: &str) -> Result<u64, BackendError> {
        let buckets = self.limits.buckets(attempt);
        let mut script = BUCKETS.prepare_invoke();
        script.arg(op).arg(self.limits.window.as_millis() as u64);
        for bucket in &buckets {
            script.key(self.backend.key(&format!("throttle:{}", bucket.key)));
            script.arg(bucket.capacity).arg(match bucket.on_success {
                OnSuccess::Clear => "clear",
                OnSuccess::Refund => "refund",
            });
        }
        let mut conn = self.backend.conn().await?;
        script
            .invoke_async(&mut conn)
            .await
            .map_err(BackendError::new)
    }
}

#[async_trait]
impl LoginThrottle for RedisThrottle {
    async fn reserve(&self, attempt: &Attempt) -> Result<Throttle, BackendError> {
        Ok(match self.run(attempt, "reserve").await? {
            0 => Throttle::Reserved,
            ms => Throttle::Wait(Duration::from_millis(ms)),
        })
    }

    async fn succeeded(&self, attempt: &Attempt) -> Result<(), BackendError> {
        self.run(attempt, "succeeded").await.map(|_| ())
    }

    async fn give_back(&self, attempt: &Attempt) -> Result<(), BackendError> {
        self.run(attempt, "give_back").await.map(|_| ())
    }
}
