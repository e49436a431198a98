//! Claims of vouchers: the drop's hot path (a claim, or a batch of them), each user's own
//! claims, and their use at a shop (redemption).

use crate::error::BackendError;
use async_trait::async_trait;
use domain::audit::AuditNote;
use domain::voucher::{Claim, ClaimId, VoucherId};
use domain::{Page, PageRequest, RedemptionCode, UserId};
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Clone, Error)]
pub enum ClaimError {
    #[error("voucher not found")]
    NotFound,
    #[error("already claimed")]
    AlreadyClaimed,
    #[error("sold out")]
    SoldOut,
    #[error("not open yet")]
    NotOpenYet,
    #[error("closed")]
    Closed,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, Error)]
pub enum UseClaimError {
    #[error("claim not found")]
    NotFound,
    #[error("already used")]
    AlreadyUsed,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, Error)]
pub enum RedeemError {
    #[error("no claim has this code")]
    NotFound,
    #[error("this code was used at {used_at}")]
    AlreadyUsed { used_at: OffsetDateTime },
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait VoucherClaims: Send + Sync {
    /// All or nothing: records the user's claim (unique per user and voucher) with a fresh
    /// random redemption code, and takes one from `remaining` only where the voucher is open at
    /// `now` and `remaining > 0`.
    ///
    /// # Errors
    /// `AlreadyClaimed` (checked first, also once sold out), `NotFound`, `Closed`,
    /// `NotOpenYet`, `SoldOut`.
    async fn claim(
        &self,
        user: UserId,
        voucher: VoucherId,
        now: OffsetDateTime,
    ) -> Result<Claim, ClaimError>;

    /// Claims for several users at once, with one commit for the lot where the backend can:
    /// under a rush the voucher's row is then locked once per batch, not once per claim. Each
    /// user gets the outcome [`claim`](Self::claim) would give them had the claims run one
    /// after another in the order given. `users` holds no user twice.
    ///
    /// A storage failure answers `Backend` to every user of the batch.
    async fn claim_many(
        &self,
        users: &[UserId],
        voucher: VoucherId,
        now: OffsetDateTime,
    ) -> Vec<Result<Claim, ClaimError>>;

    /// The user's claims, newest first.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list_user_claims(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError>;

    /// A voucher's claims, oldest first.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list_voucher_claims(
        &self,
        voucher: VoucherId,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError>;

    /// Sets `used_at` once, on a claim of `user`'s.
    ///
    /// # Errors
    /// `NotFound` (unknown or someone else's), `AlreadyUsed`.
    async fn use_claim(
        &self,
        user: UserId,
        claim: ClaimId,
        now: OffsetDateTime,
    ) -> Result<Claim, UseClaimError>;

    /// A shop redeems a claim by its code: sets `used_at` once.
    ///
    /// # Errors
    /// `NotFound` for an unknown code, `AlreadyUsed` when it was used before.
    async fn redeem(
        &self,
        code: &RedemptionCode,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Claim, RedeemError>;
}
