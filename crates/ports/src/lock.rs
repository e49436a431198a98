//! A lock shared by every api-server process, used to serialise changes to one resource.
//!
//! The lock only serialises; it is never the guard that keeps the capacity rule. A lease can
//! expire while its holder still works (a paused process, a slow database), so every storage
//! operation is itself guarded in the database.

use crate::error::BackendError;
use async_trait::async_trait;
use thiserror::Error;

/// Proof of holding a lock: the key and the random token that only the holder knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockLease {
    pub key: String,
    pub token: String,
}

#[derive(Debug, Error)]
pub enum LockError {
    /// Someone else held the lock for the whole bounded wait.
    #[error("the resource is busy; try again shortly")]
    Timeout,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait DistributedLock: Send + Sync {
    /// Takes the lock on `key`, waiting a bounded time with back-off.
    ///
    /// # Errors
    /// `Timeout` when the lock stayed taken for the whole wait; `Backend` when the lock store is
    /// unreachable.
    async fn acquire(&self, key: &str) -> Result<LockLease, LockError>;

    /// Releases the lock if `lease` still holds it; releasing an expired or stolen lease is a
    /// no-op, never a deletion of someone else's lock.
    ///
    /// # Errors
    /// `Backend` when the lock store is unreachable (the lease then expires on its own).
    async fn release(&self, lease: LockLease) -> Result<(), LockError>;
}
