//! Idempotency keys: a client's retry of a create gets the first answer again instead of a
//! second reservation or claim. Records live in the database, so every instance sees them and
//! they survive restarts.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::UserId;
use time::OffsetDateTime;

/// What `start` found for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStart {
    /// The key is new (or its old record expired): this request does the work.
    Started,
    /// A request with this key is still being answered.
    InFlight,
    /// The key's work committed (it made record `resource_id`, linked to the key in the same
    /// transaction) but its answer was never stored: its process died, or is about to store
    /// it. This request answers with the record instead of doing the work again.
    Done { resource_id: i64 },
    /// The key was used for a different request (method, route or body).
    Reused,
    /// The key's request was answered: this is that answer.
    Replay { status: u16, body: String },
}

/// When records stop counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAges {
    /// An answered record written before this is forgotten: the key is new again.
    pub answered_before: OffsetDateTime,
    /// An unanswered record written before this belonged to a request that died with its
    /// process: the key is taken over.
    pub in_flight_before: OffsetDateTime,
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait IdempotencyKeys: Send + Sync {
    /// Takes `key` for `user`'s request described by `fingerprint`, or says what became of it.
    /// An unanswered record older than `ages.in_flight_before` is taken over, unless its work
    /// committed (`Done`).
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn start(
        &self,
        user: UserId,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        ages: KeyAges,
    ) -> Result<KeyStart, BackendError>;

    /// Stores the answer to replay.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn finish(
        &self,
        user: UserId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), BackendError>;

    /// Forgets a key whose request ended without an answer worth replaying (the service was
    /// busy or failed), so that a retry does the work.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn abandon(&self, user: UserId, key: &str) -> Result<(), BackendError>;

    /// Deletes records answered before `before`; returns how many.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn purge(&self, before: OffsetDateTime) -> Result<u64, BackendError>;
}
