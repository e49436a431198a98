//! Revoked token ids, each kept only until the token would have expired anyway.

use crate::{guard, SWEEP_ABOVE};
use async_trait::async_trait;
use ports::{BackendError, TokenRevocations};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub struct MemoryRevocations {
    until: Arc<Mutex<HashMap<String, OffsetDateTime>>>,
}

impl MemoryRevocations {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TokenRevocations for MemoryRevocations {
    async fn revoke(&self, token_id: &str, until: OffsetDateTime) -> Result<(), BackendError> {
        let now = OffsetDateTime::now_utc();
        if until <= now {
            return Ok(()); // Already expired: nothing to remember.
        }
        let mut map = guard(&self.until);
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, u| *u > now);
        }
        map.insert(token_id.to_owned(), until);
        Ok(())
    }

    async fn is_revoked(&self, token_id: &str) -> Result<bool, BackendError> {
        let now = OffsetDateTime::now_utc();
        Ok(guard(&self.until).get(token_id).is_some_and(|u| *u > now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_revoked_token_stays_revoked_until_it_expires() {
        let r = MemoryRevocations::new();
        let now = OffsetDateTime::now_utc();
        r.revoke("live", now + time::Duration::hours(1))
            .await
            .expect("revoke");
        r.revoke("gone", now - time::Duration::seconds(1))
            .await
            .expect("revoke");
        assert!(r.is_revoked("live").await.expect("read"));
        assert!(!r.is_revoked("gone").await.expect("read"));
        assert!(!r.is_revoked("never").await.expect("read"));
    }
}
