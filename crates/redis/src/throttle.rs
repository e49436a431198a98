//! Log-in throttling shared by every process: a token bucket per key in a Redis hash, refilled
//! over the window, checked and charged by one script on Redis's own clock.

use crate::RedisBackend;
use async_trait::async_trait;
use deadpool_redis::redis::{self, Script};
use ports::{Attempt, BackendError, LoginThrottle, Throttle, ThrottleLimits};
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS: the buckets, the account's two first (the ones a success clears). ARGV: `check` or
/// `fail`, the window in ms, then each bucket's capacity. Returns the milliseconds to wait (0:
/// allowed) and whether either of the account's buckets exists. `fail` takes one token from
/// every bucket.
static BUCKETS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"local t = redis.call("TIME")
           local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
           local op, window = ARGV[1], tonumber(ARGV[2])
           local wait, on_record = 0, 0
           for i, key in ipairs(KEYS) do
               local cap = tonumber(ARGV[2 + i])
               local rate = cap / window
               local state = redis.call("HMGET", key, "tokens", "at")
               if i <= 2 and state[1] then on_record = 1 end
               local tokens = tonumber(state[1]) or cap
               local at = tonumber(state[2]) or now
               tokens = math.min(cap, tokens + (now - at) * rate)
               if op == "fail" then
                   tokens = math.max(0, tokens - 1)
                   redis.call("HSET", key, "tokens", tostring(tokens), "at", now)
                   redis.call("PEXPIRE", key, window)
               elseif tokens < 1 then
                   local w = math.ceil((1 - tokens) / rate)
                   if w > wait then wait = w end
               end
           end
           return {wait, on_record}"#,
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

    async fn buckets(&self, attempt: &Attempt, op: &str) -> Result<(u64, bool), BackendError> {
        let keys = self.limits.keys(attempt);
        let mut script = BUCKETS.prepare_invoke();
        for (key, _) in &keys {
            script.key(self.backend.key(&format!("throttle:{key}")));
        }
        script.arg(op).arg(self.limits.window.as_millis() as u64);
        for (_, cap) in &keys {
            script.arg(*cap);
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
    async fn check(&self, attempt: &Attempt) -> Result<Throttle, BackendError> {
        Ok(match self.buckets(attempt, "check").await? {
            (0, failures_on_record) => Throttle::Allowed { failures_on_record },
            (ms, _) => Throttle::Wait(Duration::from_millis(ms)),
        })
    }

    async fn failed(&self, attempt: &Attempt) -> Result<(), BackendError> {
        self.buckets(attempt, "fail").await.map(|_| ())
    }

    async fn succeeded(&self, attempt: &Attempt) -> Result<(), BackendError> {
        let [pair, account, _client] = self.limits.keys(attempt);
        let mut conn = self.backend.conn().await?;
        let _: i64 = redis::cmd("DEL")
            .arg(self.backend.key(&format!("throttle:{}", pair.0)))
            .arg(self.backend.key(&format!("throttle:{}", account.0)))
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }
}
