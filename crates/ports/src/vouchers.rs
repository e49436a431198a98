//! Books, vouchers, claims, and the fast admission gate in front of claims.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::audit::AuditNote;
use domain::voucher::{
    Book, BookDraft, BookId, Claim, ClaimId, ClaimWindow, Quantity, Voucher, VoucherCode, VoucherId,
};
use domain::{Page, PageRequest, RedemptionCode, UserId};
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVoucher {
    pub book_id: BookId,
    pub code: VoucherCode,
    pub quantity: Quantity,
    pub window: ClaimWindow,
    pub now: OffsetDateTime,
}

/// A partial voucher change, already checked against the domain rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoucherChanges {
    /// The new quantity; the store only applies it if it is not below the stored one.
    pub quantity: Option<Quantity>,
    pub closed: Option<bool>,
    pub window: Option<ClaimWindow>,
}

#[derive(Debug, Error)]
pub enum CreateVoucherError {
    #[error("a voucher with that code exists")]
    DuplicateCode,
    #[error("no such book")]
    BookNotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, Error)]
pub enum UpdateVoucherError {
    #[error("voucher not found")]
    NotFound,
    /// The stored quantity grew past the requested one meanwhile.
    #[error("quantity may only grow (currently {current})")]
    QuantityShrinks { current: u32 },
    #[error(transparent)]
    Backend(#[from] BackendError),
}

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
pub trait VoucherRepository: Send + Sync {
    /// # Errors
    /// `BackendError` when storage fails.
    async fn create_book(
        &self,
        book: BookDraft,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Book, BackendError>;

    /// Books by id ascending.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list_books(&self, page: PageRequest) -> Result<Page<Book>, BackendError>;

    /// # Errors
    /// `DuplicateCode`, `BookNotFound`.
    async fn create_voucher(
        &self,
        new: NewVoucher,
        audit: AuditNote,
    ) -> Result<Voucher, CreateVoucherError>;

    /// # Errors
    /// `BackendError` when storage fails.
    async fn get_voucher(&self, id: VoucherId) -> Result<Option<Voucher>, BackendError>;

    /// All vouchers, newest first.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list_vouchers(&self, page: PageRequest) -> Result<Page<Voucher>, BackendError>;

    /// Vouchers on the event page at `now`: not closed, something left, and open now or
    /// opening later (not past their window), oldest first.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list_live(&self, now: OffsetDateTime) -> Result<Vec<Voucher>, BackendError>;

    /// Applies `changes`; a quantity increase adds the difference to `remaining` in the same
    /// statement, guarded so the quantity never shrinks.
    ///
    /// # Errors
    /// `NotFound`, `QuantityShrinks`.
    async fn update_voucher(
        &self,
        id: VoucherId,
        changes: VoucherChanges,
        audit: AuditNote,
    ) -> Result<Voucher, UpdateVoucherError>;

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
