//! Switching hours between booking by approval and first-come.

use crate::auth::AuthService;
use crate::error::{AppError, Invalid};
use crate::Deps;
use domain::audit::{AuditAction, AuditNote};
use domain::{Actor, BookingMode};
use ports::{Clock, SharedCache, SlotRepository};
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct BookingModeService {
    slots: Arc<dyn SlotRepository>,
    cache: Arc<dyn SharedCache>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for BookingModeService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookingModeService").finish_non_exhaustive()
    }
}

impl BookingModeService {
    pub fn new(deps: &Deps) -> Self {
        Self {
            slots: deps.slots.clone(),
            cache: deps.cache.clone(),
            clock: deps.clock.clone(),
        }
    }

    /// Sets the booking mode of every hour that starts at or after `from` and before `to`, and
    /// records it in the audit trail; returns how many hours changed mode. Reservations are
    /// never changed: each keeps the mode it was made under.
    ///
    /// # Errors
    /// `Forbidden` for non-admins, `Invalid::EmptyRange` unless `from < to`.
    pub async fn set(
        &self,
        actor: &Actor,
        from: OffsetDateTime,
        to: OffsetDateTime,
        mode: BookingMode,
    ) -> Result<u64, AppError> {
        AuthService::require_admin(actor)?;
        if from >= to {
            return Err(Invalid::EmptyRange.into());
        }
        let note = AuditNote::by(actor, self.clock.now(), AuditAction::SlotsModeChanged, None)
            .set("booking_mode", mode.as_str())
            .set("from", from)
            .set("to", to);
        let changed = self.slots.set_mode(from, to, mode, note).await?;
        if changed > 0 {
            // Availability answers carry each hour's mode; the range may span many dates.
            if let Err(e) = self.cache.all_days_changed().await {
                tracing::warn!(error = %e, "could not retag availability after a mode change");
            }
        }
        Ok(changed)
    }
}
