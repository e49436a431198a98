//! The voucher drop's catalog: books and vouchers, as admins manage them and the event page
//! lists them.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::audit::AuditNote;
use domain::voucher::{
    Book, BookDraft, BookId, ClaimWindow, Quantity, Voucher, VoucherCode, VoucherId,
};
use domain::{Page, PageRequest};
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

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait VoucherCatalog: Send + Sync {
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
}
