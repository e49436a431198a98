//! The creates of `ReservationRepository`: each batch is offered to the approval insert first
//! (one guarded statement, one commit: the approval flow's hot path is unchanged); what it
//! refuses is told apart with one read of the slots, and the first-come asks among them are
//! booked together in one transaction (`first_come::book`), in the order they arrived. Asks
//! for hours this process has seen booking first-come go straight to that booking
//! (`mode_hints`).

use super::{first_come, Db, Dialect};
use crate::dialect::SqlDialect;
use crate::errors::{backend, is_transient, ATTEMPTS};
use crate::mode_hints::ModeHints;
use crate::rows::{secs, SlotRow};
use crate::schema::exam_slots;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{BookingMode, Reservation};
use ports::{BackendError, CreateReservationError, NewReservation};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

type Created = Result<Reservation, CreateReservationError>;

/// How often an ask whose hours changed mode while it was routed is routed again. A second
/// change within one batch's round trips would be an admin flipping hours back and forth.
const ROUTES: usize = 3;

/// Why the approval insert refused an ask.
enum Refused {
    Missing,
    Mixed,
    /// Approval hours, one of them short (the first, by start).
    Short(Option<OffsetDateTime>),
    FirstCome,
}

/// The hours `[start, end)` covers, by their starts.
fn hours_of(ask: &NewReservation) -> impl Iterator<Item = i64> {
    (secs(ask.range.start())..secs(ask.range.end())).step_by(3600)
}

/// Reads the slots of the refused asks once, and says why each was refused.
async fn explain_refusals(conn: &mut Db, asks: &[&NewReservation]) -> QueryResult<Vec<Refused>> {
    let hours: BTreeSet<i64> = asks.iter().flat_map(|a| hours_of(a)).collect();
    let slots: BTreeMap<i64, SlotRow> = exam_slots::table
        .filter(exam_slots::starts_at.eq_any(hours))
        .select(SlotRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|row| (row.starts_at, row))
        .collect();
    Ok(asks
        .iter()
        .map(|ask| {
            let covered: Option<Vec<&SlotRow>> = hours_of(ask).map(|h| slots.get(&h)).collect();
            let Some(covered) = covered else {
                return Refused::Missing;
            };
            let first_come = covered
                .iter()
                .filter(|s| s.booking_mode == BookingMode::FirstCome.as_str())
                .count();
            if first_come == covered.len() {
                Refused::FirstCome
            } else if first_come > 0 {
                Refused::Mixed
            } else {
                let short = covered
                    .iter()
                    .find(|s| u64::from(s.free()) < ask.seats.get() as u64)
                    .and_then(|s| OffsetDateTime::from_unix_timestamp(s.starts_at).ok());
                Refused::Short(short)
            }
        })
        .collect())
}

/// Books first-come asks, again while the transaction meets a transient conflict.
async fn book(conn: &mut Db, asks: &[&NewReservation]) -> QueryResult<Vec<first_come::Booked>> {
    let mut tries = 0;
    loop {
        tries += 1;
        match first_come::book(conn, asks).await {
            Err(e) if tries < ATTEMPTS && is_transient(&e) => {
                tracing::debug!(error = %e, tries, "retrying a transient database conflict");
            }
            other => return other,
        }
    }
}

/// Each ask's outcome, in order.
pub(super) async fn create_many(
    conn: &mut Db,
    asks: Vec<NewReservation>,
    hints: &ModeHints,
) -> Vec<Created> {
    let mut outcomes: Vec<Option<Created>> = asks.iter().map(|_| None).collect();
    let mut todo: Vec<usize> = (0..asks.len()).collect();
    for _ in 0..ROUTES {
        if todo.is_empty() {
            break;
        }
        todo = match route(conn, &asks, &todo, &mut outcomes, hints).await {
            Ok(rerouted) => rerouted,
            Err(e) => {
                let e = backend(e);
                for &i in &todo {
                    outcomes[i] = Some(Err(e.clone().into()));
                }
                Vec::new()
            }
        };
    }
    outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| {
                Err(BackendError::msg("the hours' booking mode kept changing").into())
            })
        })
        .collect()
}

/// One routing of the asks `todo`: decides the outcome of each it can, and returns those whose
/// hours changed mode meanwhile.
async fn route(
    conn: &mut Db,
    asks: &[NewReservation],
    todo: &[usize],
    outcomes: &mut [Option<Created>],
    hints: &ModeHints,
) -> QueryResult<Vec<usize>> {
    let (mut first_come_asks, approval): (Vec<usize>, Vec<usize>) = todo
        .iter()
        .partition(|&&i| hints.all_first_come(hours_of(&asks[i])));
    let refused = insert_if_approval(conn, asks, &approval, outcomes).await?;
    if !refused.is_empty() {
        let refused_asks: Vec<&NewReservation> = refused.iter().map(|&i| &asks[i]).collect();
        let reasons = explain_refusals(conn, &refused_asks).await?;
        for (&i, reason) in refused.iter().zip(reasons) {
            outcomes[i] = match reason {
                Refused::Missing => Some(Err(CreateReservationError::SlotMissing)),
                Refused::Mixed => Some(Err(CreateReservationError::MixedModes)),
                Refused::Short(short_hour) => {
                    Some(Err(CreateReservationError::InsufficientCapacity {
                        short_hour,
                    }))
                }
                Refused::FirstCome => {
                    hints.learn_first_come(hours_of(&asks[i]));
                    first_come_asks.push(i);
                    None
                }
            };
        }
    }
    if first_come_asks.is_empty() {
        return Ok(Vec::new());
    }
    // First come, first served: in the order the asks arrived.
    first_come_asks.sort_unstable();
    let booking: Vec<&NewReservation> = first_come_asks.iter().map(|&i| &asks[i]).collect();
    let booked = book(conn, &booking).await?;
    let mut rerouted = Vec::new();
    for (&i, outcome) in first_come_asks.iter().zip(booked) {
        match outcome {
            first_come::Booked::Made(row, place) => {
                outcomes[i] = Some(
                    row.into_reservation()
                        .map(|r| Reservation {
                            waitlist_position: place,
                            ..r
                        })
                        .map_err(Into::into),
                );
            }
            first_come::Booked::Short(hour) => {
                outcomes[i] = Some(Err(CreateReservationError::InsufficientCapacity {
                    short_hour: Some(hour),
                }));
            }
            first_come::Booked::ModeChanged => {
                hints.forget(hours_of(&asks[i]));
                rerouted.push(i);
            }
        }
    }
    Ok(rerouted)
}

/// Offers the asks `which` to the approval insert; each it stores gets its outcome, and the
/// ones it refused are returned.
async fn insert_if_approval(
    conn: &mut Db,
    asks: &[NewReservation],
    which: &[usize],
    outcomes: &mut [Option<Created>],
) -> QueryResult<Vec<usize>> {
    if which.is_empty() {
        return Ok(Vec::new());
    }
    let made = if which.len() == asks.len() {
        Dialect::insert_batch_if_room(conn, asks).await?
    } else {
        let some: Vec<NewReservation> = which.iter().map(|&i| asks[i].clone()).collect();
        Dialect::insert_batch_if_room(conn, &some).await?
    };
    let mut refused = Vec::new();
    for (&i, row) in which.iter().zip(made) {
        match row {
            Some(row) => outcomes[i] = Some(row.into_reservation().map_err(Into::into)),
            None => refused.push(i),
        }
    }
    Ok(refused)
}
