//! The admin's side of the drop: books, vouchers and who claimed them, and the shop counter's
//! redemption of a claim's code. Every change is audited in its own transaction.

use super::{VoucherInput, VoucherPatch, VoucherService};
use crate::auth::AuthService;
use crate::error::{AppError, Conflict};
use domain::audit::{AuditAction, AuditNote};
use domain::voucher::{
    Book, BookDraft, BookId, Claim, ClaimWindow, Quantity, Voucher, VoucherCode, VoucherId,
};
use domain::{Actor, Page, PageRequest, RedemptionCode};
use ports::{CreateVoucherError, NewVoucher, RedeemError, UpdateVoucherError, VoucherChanges};
use time::OffsetDateTime;

impl VoucherService {
    /// # Errors
    /// `Forbidden`, `Invalid::Book`.
    pub async fn create_book(
        &self,
        actor: &Actor,
        title: &str,
        author: Option<&str>,
        cover_url: Option<&str>,
    ) -> Result<Book, AppError> {
        AuthService::require_admin(actor)?;
        let draft = BookDraft::new(title, author, cover_url)?;
        let now = self.clock.now();
        let note = AuditNote::by(actor, now, AuditAction::BookCreated, None)
            .set("title", draft.title.as_str())
            .set("author", draft.author.clone())
            .set("cover_url", draft.cover_url.clone());
        Ok(self.catalog.create_book(draft, now, note).await?)
    }

    /// # Errors
    /// `Forbidden`.
    pub async fn list_books(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Book>, AppError> {
        AuthService::require_admin(actor)?;
        Ok(self.catalog.list_books(page).await?)
    }

    /// # Errors
    /// `Forbidden`, `Invalid::Voucher`, `NotFound` for the book, `Conflict::DuplicateVoucherCode`.
    pub async fn create_voucher(
        &self,
        actor: &Actor,
        input: VoucherInput,
    ) -> Result<Voucher, AppError> {
        AuthService::require_admin(actor)?;
        let new = NewVoucher {
            book_id: BookId(input.book_id),
            code: VoucherCode::parse(&input.code)?,
            quantity: Quantity::new(input.quantity)?,
            window: ClaimWindow::new(input.opens_at, input.closes_at)?,
            now: self.clock.now(),
        };
        let note = AuditNote::by(actor, new.now, AuditAction::VoucherCreated, None)
            .set("book_id", new.book_id.0)
            .set("code", new.code.as_str())
            .set("quantity", new.quantity.get())
            .set("opens_at", new.window.opens_at)
            .set("closes_at", new.window.closes_at);
        self.catalog
            .create_voucher(new, note)
            .await
            .map_err(|e| match e {
                CreateVoucherError::DuplicateCode => Conflict::DuplicateVoucherCode.into(),
                CreateVoucherError::BookNotFound => AppError::NotFound("book"),
                CreateVoucherError::Backend(b) => b.into(),
            })
    }

    /// # Errors
    /// `Forbidden`.
    pub async fn list_vouchers(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Voucher>, AppError> {
        AuthService::require_admin(actor)?;
        Ok(self.catalog.list_vouchers(page).await?)
    }

    /// Grows the quantity, switches the voucher on or off, or moves its window.
    ///
    /// # Errors
    /// `Forbidden`, `Invalid::Voucher` (shrinking quantity, bad window), `NotFound`.
    pub async fn update_voucher(
        &self,
        actor: &Actor,
        id: VoucherId,
        patch: VoucherPatch,
    ) -> Result<Voucher, AppError> {
        AuthService::require_admin(actor)?;
        let quantity = patch.quantity.map(Quantity::new).transpose()?;
        let current = self
            .catalog
            .get_voucher(id)
            .await?
            .ok_or(AppError::NotFound("voucher"))?;
        if let Some(q) = quantity {
            current.grow_to(q)?;
        }
        let window = if patch.opens_at.is_some() || patch.closes_at.is_some() {
            Some(ClaimWindow::new(
                patch.opens_at.or(current.window.opens_at),
                patch.closes_at.or(current.window.closes_at),
            )?)
        } else {
            None
        };
        let changes = VoucherChanges {
            quantity,
            closed: patch.closed,
            window,
        };
        if changes == VoucherChanges::default() {
            // An empty patch changes nothing: the answer is the voucher as it is.
            return Ok(current);
        }
        let mut note = AuditNote::by(
            actor,
            self.clock.now(),
            AuditAction::VoucherChanged,
            Some(id.0),
        );
        if let Some(q) = changes.quantity {
            note = note.change("quantity", current.quantity, q.get());
        }
        if let Some(closed) = changes.closed {
            note = note.change("closed", current.closed, closed);
        }
        if let Some(w) = changes.window {
            note = note
                .change("opens_at", current.window.opens_at, w.opens_at)
                .change("closes_at", current.window.closes_at, w.closes_at);
        }
        let updated = self
            .catalog
            .update_voucher(id, changes, note)
            .await
            .map_err(|e| match e {
                UpdateVoucherError::NotFound => AppError::NotFound("voucher"),
                UpdateVoucherError::QuantityShrinks { current } => {
                    domain::voucher::VoucherRuleError::QuantityShrinks { current }.into()
                }
                UpdateVoucherError::Backend(b) => b.into(),
            })?;
        self.voucher_changed(id).await;
        Ok(updated)
    }

    /// Who claimed a voucher, oldest first.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn voucher_claims(
        &self,
        actor: &Actor,
        id: VoucherId,
        page: PageRequest,
    ) -> Result<Page<Claim>, AppError> {
        AuthService::require_admin(actor)?;
        if self.catalog.get_voucher(id).await?.is_none() {
            return Err(AppError::NotFound("voucher"));
        }
        Ok(self.claims.list_voucher_claims(id, page).await?)
    }

    /// A shop (an admin) redeems a claim by the code its claimer shows: marks it used, once.
    ///
    /// # Errors
    /// `Forbidden`, `Invalid::RedemptionCode` for something that cannot be a code, `NotFound`
    /// for an unknown code, `Conflict::AlreadyUsed`.
    pub async fn redeem(&self, actor: &Actor, typed: &str) -> Result<Claim, AppError> {
        AuthService::require_admin(actor)?;
        let code = RedemptionCode::parse(typed)?;
        let now = self.clock.now();
        let note = AuditNote::by(actor, now, AuditAction::ClaimRedeemed, None).change(
            "used_at",
            None::<OffsetDateTime>,
            now,
        );
        self.claims
            .redeem(&code, now, note)
            .await
            .map_err(|e| match e {
                RedeemError::NotFound => AppError::NotFound("redemption code"),
                RedeemError::AlreadyUsed { .. } => Conflict::AlreadyUsed.into(),
                RedeemError::Backend(b) => b.into(),
            })
    }
}
