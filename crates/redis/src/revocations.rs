//! Revoked token ids, each kept only until the token would have expired anyway.

use crate::RedisBackend;
use async_trait::async_trait;
use deadpool_redis::redis;
use ports::{BackendError, TokenRevocations};
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct RedisRevocations {
    backend: RedisBackend,
}

impl RedisRevocations {
    pub fn new(backend: RedisBackend) -> Self {
        Self { backend }
    }

    fn key(&self, token_id: &str) -> String {
        self.backend.key(&format!("revoked:{token_id}"))
    }
}

#[async_trait]
impl TokenRevocations for RedisRevocations {
    async fn revoke(&self, token_id: &str, until: OffsetDateTime) -> Result<(), BackendError> {
        let millis = (until - OffsetDateTime::now_utc()).whole_milliseconds();
        if millis <= 0 {
            return Ok(()); // Already expired: nothing to remember.
        }
        let mut conn = self.backend.conn().await?;
        let _: () = redis::cmd("SET")
            .arg(self.key(token_id))
            .arg(1)
            .arg("PX")
            .arg(millis as u64)
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }

    async fn is_revoked(&self, token_id: &str) -> Result<bool, BackendError> {
        let mut conn = self.backend.conn().await?;
        let n: i64 = redis::cmd("EXISTS")
            .arg(self.key(token_id))
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(n > 0)
    }
}
