//! The confirms of `ReservationRepository`: one confirm in one statement (PostgreSQL) or one
//! transaction (SQLite), and a batch of them in one statement and one commit where the backend
//! has it, falling back to one by one when the batch is refused whole.

use super::guards::{load_row, refusal, settle, take_seats, Change};
use super::{audit, Db, Dialect};
use crate::dialect::SqlDialect;
use crate::errors::{is_check_violation, retry_tx, TxError};
use crate::rows::ReservationRow;
use crate::schema::reservations;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::{Reservation, ReservationId, ReservationStatus};
use ports::BackendError;

/// One confirm, guarded on the reservation still being pending, not started, and every slot
/// it covers taking its seats.
pub(super) async fn confirm(
    conn: &mut Db,
    id: ReservationId,
    now: i64,
    audit: &AuditNote,
) -> Result<Reservation, Change> {
    let outcome = retry_tx!(confirm_in_one_statement(conn, id, now, audit).await);
    settle(conn, id, ReservationStatus::Pending, outcome)
        .await
        .and_then(|row| Ok(row.into_reservation()?))
}

/// Several confirms; each answer is what one-by-one confirms would have given (see
/// `ReservationRepository::confirm_many`).
pub(super) async fn confirm_many(
    conn: &mut Db,
    asks: &[(ReservationId, AuditNote)],
    now: i64,
) -> Vec<Result<Reservation, Change>> {
    let batch = confirm_batch_once(conn, asks, now).await;
    let decided_by_batch = batch.is_some();
    let mut flipped = batch.unwrap_or_default();
    let mut outcome = Vec::with_capacity(asks.len());
    for (id, note) in asks {
        // Taken out once used, so that an id asked twice is confirmed for one ask only.
        let row = flipped
            .iter()
            .position(|row| row.id == id.0)
            .map(|at| flipped.swap_remove(at));
        let one = match row {
            Some(row) => Ok(row),
            // Left out by a batch that committed: in its snapshot this one was not pending, had
            // started, was gone, or lacked room on its own; the rows as they are now say which.
            None if decided_by_batch => match unflipped(conn, *id, now).await {
                Ok(refused) => Err(TxError::Rule(refused)),
                Err(e) => Err(e),
            },
            // No batch (or it was refused whole): decided one by one.
            None => retry_tx!(confirm_in_one_statement(conn, *id, now, note).await),
        };
        outcome.push(
            settle(conn, *id, ReservationStatus::Pending, one)
                .await
                .and_then(|row| Ok(row.into_reservation()?)),
        );
    }
    outcome
}

/// The confirm as a transaction of several statements, for a backend without a one-statement
/// form (SQLite, where every statement is in-process and costs no round trip).
async fn confirm_tx(
    conn: &mut Db,
    id: ReservationId,
    now: i64,
    audit: &AuditNote,
) -> Result<ReservationRow, TxError<Change>> {
    conn.transaction(async move |conn| {
        let flipped: Option<ReservationRow> = diesel::update(reservations::table)
            .filter(reservations::id.eq(id.0))
            .filter(reservations::status.eq("pending"))
            .filter(reservations::starts_at.gt(now))
            .set((
                reservations::status.eq("confirmed"),
                reservations::updated_at.eq(now),
            ))
            .returning(ReservationRow::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        let Some(row) = flipped else {
            return Err(TxError::Rule(Change::StatusChanged(
                ReservationStatus::Pending,
            )));
        };
        let reservation = row.clone().into_reservation().map_err(|_| {
            TxError::Rule(Change::Backend(BackendError::msg("corrupt reservation")))
        })?;
        if !take_seats(conn, &reservation.range, reservation.seats).await? {
            return Err(TxError::Rule(refusal(conn, &reservation.range).await?));
        }
        audit::write(conn, audit, id.0).await?;
        Ok(row)
    })
    .await
}

/// How the one-statement confirm says "not every slot took the seats" (see `statements`).
fn is_refused_take(e: &diesel::result::Error) -> bool {
    is_check_violation(e) || crate::errors::is_division_by_zero(e)
}

/// Why a one-statement confirm flipped nothing or was rolled back, from the rows as they are
/// now: a reservation still pending and in the future was left alone for want of room (or of
/// a slot); anything else is a status change the caller explains.
async fn unflipped(conn: &mut Db, id: ReservationId, now: i64) -> Result<Change, TxError<Change>> {
    let Some(row) = load_row(conn, id).await? else {
        return Ok(Change::NotFound);
    };
    if row.status != "pending" || row.starts_at <= now {
        return Ok(Change::StatusChanged(ReservationStatus::Pending));
    }
    let reservation = row
        .into_reservation()
        .map_err(|e| TxError::Rule(Change::Backend(e)))?;
    Ok(refusal(conn, &reservation.range).await?)
}

/// The confirm as the backend's single statement (see `dialect::confirm_in_one_statement`):
/// one round trip, and the slot rows are locked only for that statement.
async fn confirm_in_one_statement(
    conn: &mut Db,
    id: ReservationId,
    now: i64,
    audit: &AuditNote,
) -> Result<ReservationRow, TxError<Change>> {
    let confirmed = match Dialect::confirm_in_one_statement(conn, id.0, now, audit).await {
        Some(outcome) => outcome,
        None => return confirm_tx(conn, id, now, audit).await,
    };
    match confirmed {
        Ok(rows) => match rows.into_iter().next() {
            Some(row) => Ok(row),
            // Nothing flipped: not pending any more, started, gone, or no room in some slot.
            None => Err(TxError::Rule(unflipped(conn, id, now).await?)),
        },
        // The statement refuses a partial take by dividing by zero, which rolls it back whole:
        // some covered slot is missing or full, which the rows as they are now say.
        Err(e) if is_refused_take(&e) => Err(TxError::Rule(unflipped(conn, id, now).await?)),
        Err(e) => Err(e.into()),
    }
}

/// The reservations a batch statement confirmed, where the backend has one. None when it has
/// not, or when the statement was refused as a whole (some slot could not take the batch's
/// total) or failed: the caller then confirms every ask one by one, which decides each
/// exactly.
async fn confirm_batch_once(
    conn: &mut Db,
    asks: &[(ReservationId, AuditNote)],
    now: i64,
) -> Option<Vec<ReservationRow>> {
    let asks: Vec<(i64, &AuditNote)> = asks.iter().map(|(id, note)| (id.0, note)).collect();
    for _ in 0..crate::errors::ATTEMPTS {
        match Dialect::confirm_batch_in_one_statement(conn, &asks, now).await? {
            Ok(rows) => return Some(rows),
            Err(e) if crate::errors::is_transient(&e) => continue,
            Err(e) => {
                if !is_refused_take(&e) {
                    tracing::warn!(error = %e, "a batch of confirms failed; confirming one by one");
                }
                return None;
            }
        }
    }
    None
}
