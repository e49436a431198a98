//! The shared cache for one process: session states and availability tags in memory.

use crate::guard;
use async_trait::async_trait;
use domain::{SessionState, UserId};
use ports::{BackendError, CachedView, DayTag, SharedCache};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use time::Date;

/// Past this many session states the map starts afresh; they are rebuilt from the database.
const MAX_SESSIONS: usize = 100_000;

#[derive(Debug, Default)]
struct Inner {
    sessions: Mutex<HashMap<UserId, SessionState>>,
    days: Mutex<HashMap<Date, u64>>,
    epoch: AtomicU64,
    /// Source of new tags: in one process a counter never repeats.
    next_tag: AtomicU64,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryCache {
    inner: Arc<Inner>,
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn fresh_tag(&self) -> u64 {
        self.inner.next_tag.fetch_add(1, Ordering::Relaxed) + 1
    }
}

#[async_trait]
impl SharedCache for MemoryCache {
    async fn view(&self, user: UserId, day: Option<Date>) -> Result<CachedView, BackendError> {
        let session = guard(&self.inner.sessions).get(&user).cloned();
        let day = day.map(|d| {
            let tag = *guard(&self.inner.days).entry(d).or_default();
            DayTag(tag, self.inner.epoch.load(Ordering::Acquire))
        });
        Ok(CachedView { session, day })
    }

    async fn keep_session(&self, state: &SessionState) -> Result<(), BackendError> {
        let mut sessions = guard(&self.inner.sessions);
        if sessions.len() >= MAX_SESSIONS {
            sessions.clear();
        }
        let newer = sessions
            .get(&state.user_id)
            .is_none_or(|held| held.is_superseded_by(state));
        if newer {
            sessions.insert(state.user_id, state.clone());
        }
        Ok(())
    }

    async fn days_changed(&self, days: &[Date]) -> Result<(), BackendError> {
        let mut tags = guard(&self.inner.days);
        for day in days {
            tags.insert(*day, self.fresh_tag());
        }
        Ok(())
    }

    async fn all_days_changed(&self) -> Result<(), BackendError> {
        self.inner.epoch.store(self.fresh_tag(), Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Role;
    use time::macros::date;

    fn state(version: i64) -> SessionState {
        SessionState {
            user_id: UserId(1),
            version,
            role: Role::User,
            session_version: 0,
            deleted: false,
            revoked: vec![],
        }
    }

    #[tokio::test]
    async fn an_older_state_never_replaces_a_newer_one() {
        let cache = MemoryCache::new();
        cache.keep_session(&state(2)).await.expect("kept");
        cache.keep_session(&state(1)).await.expect("kept");
        let view = cache.view(UserId(1), None).await.expect("view");
        assert_eq!(view.session.map(|s| s.version), Some(2));
        cache.keep_session(&state(3)).await.expect("kept");
        let view = cache.view(UserId(1), None).await.expect("view");
        assert_eq!(view.session.map(|s| s.version), Some(3));
    }

    #[tokio::test]
    async fn a_change_retags_its_dates_and_the_epoch_retags_all() {
        let cache = MemoryCache::new();
        let (a, b) = (date!(2026 - 12 - 01), date!(2026 - 12 - 02));
        let tag = |d| {
            let cache = cache.clone();
            async move { cache.view(UserId(1), Some(d)).await.expect("view").day }
        };
        let (a0, b0) = (tag(a).await, tag(b).await);
        assert_eq!(tag(a).await, a0, "stable while nothing changes");
        cache.days_changed(&[a]).await.expect("retag");
        assert_ne!(tag(a).await, a0);
        assert_eq!(tag(b).await, b0);
        cache.all_days_changed().await.expect("retag all");
        assert_ne!(tag(b).await, b0);
    }
}
