//! The reservation writes that commit together (see `group_commit`): creates, and confirms.

use crate::group_commit::{GroupCommit, WriteBatch};
use domain::audit::AuditNote;
use domain::{BookingMode, HourRange, Reservation, ReservationId, ServiceOffset};
use ports::{
    BackendError, ChangeReservationError, Clock, CreateReservationError, NewReservation,
    ReservationRepository, SharedCache,
};
use std::sync::Arc;

pub(super) type Created = Result<Reservation, CreateReservationError>;
pub(super) type Changed = Result<Reservation, ChangeReservationError>;

/// The most creates or confirms one write stores.
const MOST_PER_WRITE: usize = 200;

/// Creates that arrive together are stored together (`ReservationRepository::create_many`).
/// First-come creates change counters or waitlists: their dates are retagged once per batch,
/// before any of it is answered.
pub(super) fn creates(
    reservations: Arc<dyn ReservationRepository>,
    cache: Arc<dyn SharedCache>,
    offset: ServiceOffset,
) -> Arc<GroupCommit<NewReservation, Created>> {
    let write: WriteBatch<NewReservation, Created> = Arc::new(move |asks| {
        let (reservations, cache) = (reservations.clone(), cache.clone());
        Box::pin(async move {
            let made = match <[_; 1]>::try_from(asks) {
                Ok([one]) => vec![reservations.create(one).await],
                Err(many) => reservations.create_many(many).await,
            };
            let first_come: Vec<&HourRange> = made
                .iter()
                .filter_map(|m| m.as_ref().ok())
                .filter(|r| r.mode == BookingMode::FirstCome)
                .map(|r| &r.range)
                .collect();
            if !first_come.is_empty() {
                super::retag(cache.as_ref(), &super::days_of(&first_come, offset)).await;
            }
            made
        })
    });
    GroupCommit::new(
        "reservation_create_batch_size",
        MOST_PER_WRITE,
        write,
        || {
            Err(CreateReservationError::Backend(BackendError::msg(
                "the create's writer stopped before answering",
            )))
        },
    )
}

/// Confirms that arrive together are confirmed together (`ReservationRepository::confirm_many`:
/// the capacity guard holds for each slot's total; see docs/ARCHITECTURE.md).
pub(super) fn confirms(
    reservations: Arc<dyn ReservationRepository>,
    clock: Arc<dyn Clock>,
) -> Arc<GroupCommit<(ReservationId, AuditNote), Changed>> {
    let write: WriteBatch<(ReservationId, AuditNote), Changed> = Arc::new(move |asks| {
        let (reservations, now) = (reservations.clone(), clock.now());
        Box::pin(async move {
            match <[_; 1]>::try_from(asks) {
                Ok([(id, note)]) => vec![reservations.confirm(id, now, note).await],
                Err(many) => reservations.confirm_many(many, now).await,
            }
        })
    });
    GroupCommit::new(
        "reservation_confirm_batch_size",
        MOST_PER_WRITE,
        write,
        || {
            Err(ChangeReservationError::Backend(BackendError::msg(
                "the confirm's writer stopped before answering",
            )))
        },
    )
}
