//! The audit trail: the notes admin actions carry down to storage, and reading them back.

use crate::auth::AuthService;
use crate::error::AppError;
use domain::audit::{AuditAction, AuditEntry, AuditNote};
use domain::{Actor, HourRange, Page, PageRequest, Reservation, ReservationStatus, Seats};
use ports::{AuditFilter, AuditLog};
use std::sync::Arc;
use time::OffsetDateTime;

/// A note for `actor`'s action, when the actor is an admin; a user's change to their own
/// records is not an admin action and carries none.
pub(crate) fn by_admin(
    actor: &Actor,
    at: OffsetDateTime,
    action: AuditAction,
    target: Option<i64>,
) -> Option<AuditNote> {
    actor
        .is_admin()
        .then(|| AuditNote::by(actor, at, action, target))
}

/// The note of an admin's confirm.
pub(crate) fn confirm(actor: &Actor, at: OffsetDateTime, id: i64) -> AuditNote {
    AuditNote::by(actor, at, AuditAction::ReservationConfirmed, Some(id)).change(
        "status",
        ReservationStatus::Pending.as_str(),
        ReservationStatus::Confirmed.as_str(),
    )
}

/// Adds the times and seats an edit changes.
pub(crate) fn edited(
    note: AuditNote,
    before: &Reservation,
    range: &HourRange,
    seats: Seats,
) -> AuditNote {
    note.change("starts_at", before.range.start(), range.start())
        .change("ends_at", before.range.end(), range.end())
        .change("seats", before.seats.get(), seats.get())
}

/// Reads the trail: admins only.
#[derive(Clone)]
pub struct AuditService {
    log: Arc<dyn AuditLog>,
}

impl std::fmt::Debug for AuditService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditService").finish_non_exhaustive()
    }
}

impl AuditService {
    pub fn new(log: Arc<dyn AuditLog>) -> Self {
        Self { log }
    }

    /// Notes matching `filter`, newest first.
    ///
    /// # Errors
    /// `Forbidden` for non-admins.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, AppError> {
        AuthService::require_admin(actor)?;
        Ok(self.log.list(filter, page).await?)
    }
}
