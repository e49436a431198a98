//! The fast admission gate in front of claims.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::voucher::VoucherId;
use domain::UserId;

/// What the admission gate says before the database is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead; a unit is reserved for this caller until the claim settles.
    Admitted,
    /// The gate knows this user already claimed this voucher.
    AlreadyClaimed,
    /// The gate knows nothing is left: answer without the database.
    SoldOut,
    /// The gate has no count for this voucher (never seen, expired, or lost): ask the database.
    Unknown,
}

/// A fast, shared pre-check in front of claims. It is only ever a hint: the database decides,
/// and the gate is corrected from the database's answers.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait AdmissionGate: Send + Sync {
    /// # Errors
    /// `BackendError` when the gate is unreachable (callers then go to the database).
    async fn admit(&self, voucher: VoucherId, user: UserId) -> Result<Admission, BackendError>;

    /// Seeds the count from the database's `remaining` if the gate has none.
    ///
    /// # Errors
    /// `BackendError` when the gate is unreachable.
    async fn seed(&self, voucher: VoucherId, remaining: u32) -> Result<(), BackendError>;

    /// The claim was stored: remember the claimer.
    ///
    /// # Errors
    /// `BackendError` when the gate is unreachable.
    async fn claimed(&self, voucher: VoucherId, user: UserId) -> Result<(), BackendError>;

    /// The admitted claim of `user` did not happen: give the unit back and stop counting the
    /// user as a claimer (admission counts them at once, so that a second press while the
    /// first is in flight holds no second unit).
    ///
    /// # Errors
    /// `BackendError` when the gate is unreachable.
    async fn give_back(&self, voucher: VoucherId, user: UserId) -> Result<(), BackendError>;

    /// The database says nothing is left.
    ///
    /// # Errors
    /// `BackendError` when the gate is unreachable.
    async fn sold_out(&self, voucher: VoucherId) -> Result<(), BackendError>;

    /// The voucher changed (quantity, status, window): drop the count so it is re-seeded.
    ///
    /// # Errors
    /// `BackendError` when the gate is unreachable.
    async fn forget(&self, voucher: VoucherId) -> Result<(), BackendError>;
}
