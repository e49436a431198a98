//! Hourly exam slots and their seat counters.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::audit::AuditNote;
use domain::{BookingMode, SlotHorizon, SlotLoad};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub starts_at: OffsetDateTime,
    pub load: SlotLoad,
    pub mode: BookingMode,
    /// The waiting reservations that cover this hour.
    pub waitlisted: u32,
}

impl Slot {
    pub fn ends_at(&self) -> OffsetDateTime {
        self.starts_at + domain::SLOT_LENGTH
    }
}

/// What `ensure` did: how many slots it inserted and how many were there already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnsureReport {
    pub created: u64,
    pub already_present: u64,
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait SlotRepository: Send + Sync {
    /// Inserts every slot of `horizon` that does not exist yet, with `capacity` seats booking by
    /// `mode`, in bulk. Never changes existing slots or their counters; safe to run
    /// concurrently.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn ensure(
        &self,
        horizon: SlotHorizon,
        capacity: u32,
        mode: BookingMode,
    ) -> Result<EnsureReport, BackendError>;

    /// Sets the booking mode of the slots with `from <= starts_at < to`, with `audit` in the
    /// same transaction; returns how many it set. Reservations are never changed.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn set_mode(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        mode: BookingMode,
        audit: AuditNote,
    ) -> Result<u64, BackendError>;

    /// Slots with `from <= starts_at < to`, ascending.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Slot>, BackendError>;
}
