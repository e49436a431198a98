//! How a reservation's guarded writes take seats and explain a refusal: shared by the creates,
//! edits and cancels (`reservations`) and the confirms (`confirms`).

use super::{dialect, Db};
use crate::errors::{backend, is_check_violation, TxError};
use crate::rows::{seats_i32, secs, ReservationRow};
use crate::schema::{exam_slots, reservations};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{HourRange, ReservationId, ReservationStatus, Seats};
use ports::ChangeReservationError;

pub(super) type Change = ChangeReservationError;

pub(super) fn hours(range: &HourRange) -> i64 {
    i64::from(range.hours())
}

/// After a guard refused: is a slot missing, or is there no room?
pub(super) async fn missing_or_full(conn: &mut Db, range: &HourRange) -> QueryResult<bool> {
    let present: i64 = exam_slots::table
        .filter(exam_slots::starts_at.ge(secs(range.start())))
        .filter(exam_slots::starts_at.lt(secs(range.end())))
        .count()
        .get_result(conn)
        .await?;
    Ok(present < hours(range))
}

pub(super) async fn load_row(
    conn: &mut Db,
    id: ReservationId,
) -> QueryResult<Option<ReservationRow>> {
    reservations::table
        .find(id.0)
        .select(ReservationRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Explains why a guarded statement on reservation `id` touched nothing.
pub(super) async fn explain(
    conn: &mut Db,
    id: ReservationId,
    expected: ReservationStatus,
    range: Option<&HourRange>,
) -> Change {
    let row = match load_row(conn, id).await {
        Ok(row) => row,
        Err(e) => return Change::Backend(backend(e)),
    };
    let Some(row) = row else {
        return Change::NotFound;
    };
    match row.status() {
        Ok(s) if s != expected => return Change::StatusChanged(s),
        Err(e) => return Change::Backend(e),
        Ok(_) => {}
    }
    match range {
        Some(r) => match missing_or_full(conn, r).await {
            Ok(true) => Change::SlotMissing,
            Ok(false) => Change::InsufficientCapacity,
            Err(e) => Change::Backend(backend(e)),
        },
        None => Change::StatusChanged(expected),
    }
}

/// A failed transaction in the port's words.
fn refused(e: TxError<Change>) -> Change {
    match e {
        TxError::Rule(e) => e,
        // The CHECK constraint is the last guard: hitting it means no room.
        TxError::Db(e) if is_check_violation(&e) => Change::InsufficientCapacity,
        TxError::Db(e) => Change::Backend(backend(e)),
    }
}

/// Why seats could not be taken in `range`: a missing slot or a full one. Asked inside the
/// failing transaction, before it rolls back.
pub(super) async fn refusal(conn: &mut Db, range: &HourRange) -> QueryResult<Change> {
    Ok(if missing_or_full(conn, range).await? {
        Change::SlotMissing
    } else {
        Change::InsufficientCapacity
    })
}

/// Takes `seats` in every slot of `range`; false when a slot is missing or full (the caller
/// then rolls back).
pub(super) async fn take_seats(
    conn: &mut Db,
    range: &HourRange,
    seats: Seats,
) -> QueryResult<bool> {
    // Built with the query builder (not raw SQL) so that diesel caches the prepared statement:
    // this is the hottest statement of a confirm storm.
    let seats = seats_i32(seats);
    let taken = diesel::update(exam_slots::table)
        .filter(
            exam_slots::starts_at.eq_any(dialect::slots_in(secs(range.start()), secs(range.end()))),
        )
        .filter((exam_slots::confirmed + seats).le(exam_slots::capacity))
        .set(exam_slots::confirmed.eq(exam_slots::confirmed + seats))
        .execute(conn)
        .await?;
    Ok(taken as i64 == hours(range))
}

/// Turns a transaction outcome into the port's answer; a refused status guard is explained
/// from the row as it is now (not found, or which status it has).
pub(super) async fn settle<T>(
    conn: &mut Db,
    id: ReservationId,
    expected: ReservationStatus,
    outcome: Result<T, TxError<Change>>,
) -> Result<T, Change> {
    match outcome {
        Ok(done) => Ok(done),
        Err(TxError::Rule(Change::StatusChanged(_) | Change::NotFound)) => {
            Err(explain(conn, id, expected, None).await)
        }
        Err(other) => Err(refused(other)),
    }
}
