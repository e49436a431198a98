//! The outbox: the events the database writes, in the transaction of each change, for webhooks
//! and live pages to pass on (see the migration `outbox`).

use crate::error::BackendError;
use async_trait::async_trait;
use domain::{EventType, UserId};
use time::OffsetDateTime;

/// One committed change, as it was when it committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Grows with commit order within a process's view; stable, and the event's identity.
    pub id: i64,
    pub kind: EventType,
    pub at: OffsetDateTime,
    /// The resource's owner, when it has one (reservations and claims).
    pub owner: Option<UserId>,
    /// The resource as the API shows it, JSON.
    pub payload: String,
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Events after `after` (by id), oldest first, at most `limit`; only `owner`'s when given.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn events_after(
        &self,
        after: i64,
        owner: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, BackendError>;

    /// Deletes the events older than `before`; returns how many.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn purge(&self, before: OffsetDateTime) -> Result<u64, BackendError>;
}
