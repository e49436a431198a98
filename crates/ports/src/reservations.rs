//! Reservations and the slot counters they move.
//!
//! Every method that changes counters is one transaction in which the database guards hold the
//! rules on their own: seats are added only where `confirmed + seats <= capacity`, and a status
//! changes only if it is still the status the caller saw. Failing guards roll everything back.
//!
//! Seats freed in a first-come hour go, in the same transaction, to the reservations waiting
//! for that hour (`domain::first_come::promote`): no freed seat is ever left empty while a
//! waiting reservation that fits it is still waiting.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::audit::AuditNote;
use domain::{
    HourRange, Page, PageRequest, Reservation, ReservationId, ReservationStatus, Seats, UserId,
};
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReservation {
    pub user_id: UserId,
    pub range: HourRange,
    pub seats: Seats,
    pub now: OffsetDateTime,
    /// The request's idempotency key: the reservation is linked to the user's key record in
    /// the same transaction that creates it.
    pub idempotency_key: Option<String>,
    /// In first-come hours: wait for seats when an hour is short, instead of being refused.
    pub waitlist: bool,
}

/// A change that may free seats: when it happens, and the earliest start a waiting reservation
/// may have to be promoted into them (an earlier one's booking window has closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub now: OffsetDateTime,
    pub bookable_from: OffsetDateTime,
}

impl Release {
    /// A release at `now`, under the booking `window`.
    pub fn at(now: OffsetDateTime, window: &domain::BookingWindow) -> Self {
        Self {
            now,
            bookable_from: now + window.min_lead,
        }
    }
}

/// A change that freed seats, and the waiting reservations it promoted into them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub reservation: Reservation,
    pub promoted: Vec<Reservation>,
}

/// Filters for listing; every field narrows the list when set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationFilter {
    pub user_id: Option<UserId>,
    pub status: Option<ReservationStatus>,
    /// Keep reservations overlapping the half-open span `[from, to)`.
    pub overlapping: Option<(OffsetDateTime, OffsetDateTime)>,
    pub order: ReservationOrder,
}

/// The order of a reservation list, by creation time (then id, which breaks ties).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReservationOrder {
    #[default]
    NewestFirst,
    /// A queue: the longest-waiting request first.
    OldestFirst,
}

#[derive(Debug, Error)]
pub enum CreateReservationError {
    #[error("no slot exists for some covered hour")]
    SlotMissing,
    /// `short_hour` is the first covered hour with too few seats, when known.
    #[error("a covered slot has fewer seats remaining than requested")]
    InsufficientCapacity { short_hour: Option<OffsetDateTime> },
    /// Some covered hours book by approval and others first-come.
    #[error("the covered hours do not all book the same way")]
    MixedModes,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, Error)]
pub enum ChangeReservationError {
    #[error("reservation not found")]
    NotFound,
    /// The reservation is no longer in the status the caller expected (someone changed it).
    #[error("the reservation is now {0:?}")]
    StatusChanged(ReservationStatus),
    #[error("no slot exists for some covered hour")]
    SlotMissing,
    #[error("a covered slot has fewer seats remaining than requested")]
    InsufficientCapacity,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
/// Every change an admin makes carries an `AuditNote` (optional where owners make the same
/// change); the store writes it in the change's own transaction, only when the change happens.
pub trait ReservationRepository: Send + Sync {
    /// In approval hours: stores a pending reservation if every covered slot exists and has at
    /// least `seats` remaining right now (pending seats do not hold room; this is an early
    /// answer, the real check happens at confirm). In first-come hours: takes the seats in
    /// every covered hour at once (a confirmed reservation), all or nothing; when an hour is
    /// short, stores it waitlisted if it asked to wait, or refuses it.
    ///
    /// With an idempotency key, the key's record (already taken by the request) is given the
    /// new reservation's id in the same transaction. A waitlisted reservation comes back with
    /// its place in line.
    ///
    /// # Errors
    /// `SlotMissing`, `InsufficientCapacity` (naming the short hour), `MixedModes`.
    async fn create(&self, new: NewReservation) -> Result<Reservation, CreateReservationError>;

    /// Several creates, with one commit for the lot where the backend can. Each outcome, in the
    /// order asked, is what `create` would have answered: pending reservations hold no room, so
    /// the creates of a batch never stand in each other's way.
    async fn create_many(
        &self,
        asks: Vec<NewReservation>,
    ) -> Vec<Result<Reservation, CreateReservationError>>;

    /// # Errors
    /// `BackendError` when storage fails.
    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, BackendError>;

    /// In `filter.order`: newest first by default (created_at, then id, descending), or
    /// oldest first (both ascending).
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list(
        &self,
        filter: ReservationFilter,
        page: PageRequest,
    ) -> Result<Page<Reservation>, BackendError>;

    /// Changes the times and seats of a reservation that is still pending, with the same slot
    /// checks as `create`.
    ///
    /// # Errors
    /// `NotFound`, `StatusChanged` when it is no longer pending, `SlotMissing`,
    /// `InsufficientCapacity`.
    async fn update_pending(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
        audit: Option<AuditNote>,
    ) -> Result<Reservation, ChangeReservationError>;

    /// Pending -> confirmed, adding its seats to every covered slot, all or nothing.
    ///
    /// # Errors
    /// `NotFound`, `StatusChanged` when it is no longer pending, `SlotMissing`,
    /// `InsufficientCapacity` when any covered slot lacks room.
    async fn confirm(
        &self,
        id: ReservationId,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Reservation, ChangeReservationError>;

    /// Several confirms, with one commit for the lot where the backend can: in a storm of
    /// confirms on one slot, its row is then locked once per batch rather than once per
    /// confirm. Each outcome, in the order asked, is what `confirm` would have answered had the
    /// confirms run one after another. The capacity guard holds for the batch's total per
    /// slot; an id asked twice is confirmed once, and its other ask hears `StatusChanged`.
    async fn confirm_many(
        &self,
        asks: Vec<(ReservationId, AuditNote)>,
        now: OffsetDateTime,
    ) -> Vec<Result<Reservation, ChangeReservationError>>;

    /// `expected` -> cancelled; when `expected` is confirmed its seats are freed in the same
    /// transaction, and go to the reservations waiting for them.
    ///
    /// # Errors
    /// `NotFound`, `StatusChanged` when the status is no longer `expected`.
    async fn cancel(
        &self,
        id: ReservationId,
        expected: ReservationStatus,
        release: Release,
        audit: Option<AuditNote>,
    ) -> Result<Released, ChangeReservationError>;

    /// Moves a confirmed reservation to new times and seats: frees the old seats and takes the
    /// new ones in one transaction, all or nothing; seats it frees go to the reservations
    /// waiting for them.
    ///
    /// # Errors
    /// `NotFound`, `StatusChanged` when it is no longer confirmed, `SlotMissing`,
    /// `InsufficientCapacity` when the new range lacks room (nothing changes then).
    async fn move_confirmed(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        release: Release,
        audit: AuditNote,
    ) -> Result<Released, ChangeReservationError>;

    /// Where each waiting reservation of `ids` stands in line: 1 plus the waiting reservations
    /// covering its first hour that joined before it. Ids that are not waiting are left out.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn waitlist_positions(
        &self,
        ids: Vec<ReservationId>,
    ) -> Result<Vec<(ReservationId, u32)>, BackendError>;

    /// Every waiting reservation that starts before `closed_before` (its booking window has
    /// closed) becomes expired, each with an audit note of no actor; returns them.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn expire_waiting(
        &self,
        closed_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<ReservationId>, BackendError>;
}
