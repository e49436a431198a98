//! The shared fast store a request consults before the database: each user's session state and
//! a version tag per date of seat counters. Redis holds it for several processes, process memory
//! for one. The database stays the record: everything here can be lost and rebuilt.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::{SessionState, UserId};
use time::Date;

/// Names the state of one date's seat counters: two equal tags mean no counter of that date
/// changed in between. Tags are random, not counters, so a store that lost its keys cannot hand
/// out an old tag again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DayTag(pub u64, pub u64);

/// What one round trip to the store returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CachedView {
    /// The cached session state, if the store has one.
    pub session: Option<SessionState>,
    /// The tag of the date asked for; `None` when none was asked, or when the store cannot
    /// vouch for one (then the caller must read the database).
    pub day: Option<DayTag>,
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait SharedCache: Send + Sync {
    /// Reads the session state of `user` and, if asked, the tag of `day`, in one round trip.
    ///
    /// # Errors
    /// `BackendError` when the store is unreachable (callers then use the database).
    async fn view(&self, user: UserId, day: Option<Date>) -> Result<CachedView, BackendError>;

    /// Stores `state` unless the store already holds a later version of it, so a slow writer
    /// never puts an older state back.
    ///
    /// # Errors
    /// `BackendError` when the store is unreachable.
    async fn keep_session(&self, state: &SessionState) -> Result<(), BackendError>;

    /// Gives `days` new tags: seat counters on them changed. Called before the change is
    /// answered, so the writer's next read sees it.
    ///
    /// # Errors
    /// `BackendError` when the store is unreachable.
    async fn days_changed(&self, days: &[Date]) -> Result<(), BackendError>;

    /// Gives every date a new tag (a change whose dates are not known one by one).
    ///
    /// # Errors
    /// `BackendError` when the store is unreachable.
    async fn all_days_changed(&self) -> Result<(), BackendError>;
}
