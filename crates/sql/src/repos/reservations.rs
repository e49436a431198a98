//! `ReservationRepository`: the guarded counter updates.

use super::guards::{explain, hours, load_row, refusal, settle, take_seats, Change};
use super::{audit, confirms, creates, first_come, Db, Dialect, Store};
use crate::dialect::SqlDialect;
use crate::errors::{backend, retry_tx, TxError};
use crate::rows::{seats_i32, secs, ReservationRow};
use crate::schema::reservations;
use crate::statements::UpdatePendingIfRoom;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::{HourRange, Page, PageRequest, Reservation, ReservationId, ReservationStatus, Seats};
use ports::{
    BackendError, CreateReservationError, NewReservation, Release, Released, ReservationFilter,
    ReservationOrder, ReservationRepository,
};
use time::OffsetDateTime;

/// A change's outcome before it is read as the port's types: the changed row, and the waiting
/// reservations promoted into the seats it freed.
type ChangedRows = (ReservationRow, Vec<ReservationRow>);

/// Gives the seats of `[start, end)` back and promotes waiting reservations into them, in the
/// caller's transaction. The slots are locked (by the give-back) before the waitlist is read:
/// a request that joined the waitlist under those locks has committed by then, so it is seen.
async fn release_seats(
    conn: &mut Db,
    (start, end): (i64, i64),
    seats: i32,
    release: &Release,
) -> QueryResult<Vec<ReservationRow>> {
    let freed = first_come::freed_hours([(start, end)]);
    Dialect::add_per_slot(conn, freed.iter().map(|hour| (*hour, -seats)).collect()).await?;
    first_come::promote(conn, &freed, release).await
}

async fn cancel_tx(
    conn: &mut Db,
    id: ReservationId,
    expected: ReservationStatus,
    release: &Release,
    audit: Option<&AuditNote>,
) -> Result<ChangedRows, TxError<Change>> {
    conn.transaction(async move |conn| {
        let row: Option<ReservationRow> = diesel::update(reservations::table)
            .filter(reservations::id.eq(id.0))
            .filter(reservations::status.eq(expected.as_str()))
            .set((
                reservations::status.eq(ReservationStatus::Cancelled.as_str()),
                reservations::updated_at.eq(secs(release.now)),
            ))
            .returning(ReservationRow::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        let Some(row) = row else {
            return Err(TxError::Rule(Change::StatusChanged(expected)));
        };
        if let Some(note) = audit {
            audit::write(conn, note, id.0).await?;
        }
        // Only confirmed seats are held: a waiting reservation leaves the line and frees none.
        let promoted = if expected == ReservationStatus::Confirmed {
            release_seats(conn, (row.starts_at, row.ends_at), row.seats, release).await?
        } else {
            Vec::new()
        };
        Ok((row, promoted))
    })
    .await
}

async fn move_tx(
    conn: &mut Db,
    id: ReservationId,
    range: HourRange,
    seats: Seats,
    release: &Release,
    audit: &AuditNote,
) -> Result<ChangedRows, TxError<Change>> {
    conn.transaction(async move |conn| {
        let old = Dialect::reservation_for_update(conn, id.0).await?;
        let old = old.ok_or(TxError::Rule(Change::NotFound))?;
        if old.status != "confirmed" {
            return Err(TxError::Rule(Change::StatusChanged(
                ReservationStatus::Confirmed,
            )));
        }
        Dialect::lock_two_ranges(
            conn,
            (old.starts_at, old.ends_at),
            (secs(range.start()), secs(range.end())),
        )
        .await?;
        Dialect::add_per_slot(
            conn,
            first_come::freed_hours([(old.starts_at, old.ends_at)])
                .into_iter()
                .map(|hour| (hour, -old.seats))
                .collect(),
        )
        .await?;
        if !take_seats(conn, &range, seats).await? {
            return Err(TxError::Rule(refusal(conn, &range).await?));
        }
        let moved = diesel::update(reservations::table.find(id.0))
            .set((
                reservations::starts_at.eq(secs(range.start())),
                reservations::ends_at.eq(secs(range.end())),
                reservations::seats.eq(seats_i32(seats)),
                reservations::updated_at.eq(secs(release.now)),
            ))
            .returning(ReservationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::write(conn, audit, id.0).await?;
        // What the old hours still have free (a shrink, or a move away) goes to the waitlist.
        let freed = first_come::freed_hours([(old.starts_at, old.ends_at)]);
        let promoted = first_come::promote(conn, &freed, release).await?;
        Ok((moved, promoted))
    })
    .await
}

/// A change that committed, in the port's types.
fn released((row, promoted): ChangedRows) -> Result<Released, Change> {
    Ok(Released {
        reservation: row.into_reservation()?,
        promoted: promoted
            .into_iter()
            .map(ReservationRow::into_reservation)
            .collect::<Result<_, _>>()?,
    })
}

#[async_trait]
impl ReservationRepository for Store {
    async fn create(&self, new: NewReservation) -> Result<Reservation, CreateReservationError> {
        self.create_many(vec![new])
            .await
            .pop()
            .unwrap_or_else(|| Err(BackendError::msg("a create went unanswered").into()))
    }

    async fn create_many(
        &self,
        asks: Vec<NewReservation>,
    ) -> Vec<Result<Reservation, CreateReservationError>> {
        let mut conn = match self.conn().await {
            Ok(conn) => conn,
            Err(e) => return asks.iter().map(|_| Err(e.clone().into())).collect(),
        };
        creates::create_many(&mut conn, asks, self.mode_hints()).await
    }

    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, BackendError> {
        let mut conn = self.conn().await?;
        load_row(&mut conn, id)
            .await
            .map_err(backend)?
            .map(ReservationRow::into_reservation)
            .transpose()
    }

    async fn list(
        &self,
        filter: ReservationFilter,
        page: PageRequest,
    ) -> Result<Page<Reservation>, BackendError> {
        let build = || {
            let mut q = reservations::table.into_boxed();
            if let Some(user) = filter.user_id {
                q = q.filter(reservations::user_id.eq(user.0));
            }
            if let Some(status) = filter.status {
                q = q.filter(reservations::status.eq(status.as_str()));
            }
            if let Some((from, to)) = filter.overlapping {
                q = q
                    .filter(reservations::starts_at.lt(secs(to)))
                    .filter(reservations::ends_at.gt(secs(from)));
            }
            q
        };
        let mut conn = self.conn().await?;
        let ordered = match filter.order {
            ReservationOrder::NewestFirst => {
                build().order((reservations::created_at.desc(), reservations::id.desc()))
            }
            ReservationOrder::OldestFirst => {
                build().order((reservations::created_at.asc(), reservations::id.asc()))
            }
        };
        page_of!(conn, page, ordered, [ReservationRow], build(), |r| r
            .into_reservation())
    }

    async fn update_pending(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
        audit: Option<AuditNote>,
    ) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        let update = UpdatePendingIfRoom {
            id: id.0,
            starts_at: secs(range.start()),
            ends_at: secs(range.end()),
            seats: seats_i32(seats),
            now: secs(now),
            hours: hours(&range),
        };
        let rows: Vec<ReservationRow> = match &audit {
            // An owner's edit is one statement; an admin's also writes its note, atomically.
            None => update.load(&mut conn).await,
            Some(note) => {
                conn.transaction(async |conn| {
                    let rows: Vec<ReservationRow> = update.load(conn).await?;
                    if !rows.is_empty() {
                        audit::write(conn, note, id.0).await?;
                    }
                    diesel::QueryResult::Ok(rows)
                })
                .await
            }
        }
        .map_err(backend)?;
        match rows.into_iter().next() {
            Some(row) => Ok(row.into_reservation()?),
            None => Err(explain(&mut conn, id, ReservationStatus::Pending, Some(&range)).await),
        }
    }

    async fn confirm(
        &self,
        id: ReservationId,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        confirms::confirm(&mut conn, id, secs(now), &audit).await
    }

    async fn confirm_many(
        &self,
        asks: Vec<(ReservationId, AuditNote)>,
        now: OffsetDateTime,
    ) -> Vec<Result<Reservation, Change>> {
        let mut conn = match self.conn().await {
            Ok(conn) => conn,
            Err(e) => {
                return asks
                    .iter()
                    .map(|_| Err(Change::Backend(e.clone())))
                    .collect()
            }
        };
        confirms::confirm_many(&mut conn, &asks, secs(now)).await
    }

    async fn cancel(
        &self,
        id: ReservationId,
        expected: ReservationStatus,
        release: Release,
        audit: Option<AuditNote>,
    ) -> Result<Released, Change> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(cancel_tx(&mut conn, id, expected, &release, audit.as_ref()).await);
        settle(&mut conn, id, expected, outcome)
            .await
            .and_then(released)
    }

    async fn move_confirmed(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        release: Release,
        audit: AuditNote,
    ) -> Result<Released, Change> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(move_tx(&mut conn, id, range, seats, &release, &audit).await);
        settle(&mut conn, id, ReservationStatus::Confirmed, outcome)
            .await
            .and_then(released)
    }

    async fn waitlist_positions(
        &self,
        ids: Vec<ReservationId>,
    ) -> Result<Vec<(ReservationId, u32)>, BackendError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let waiting: Vec<(i64, i64)> = reservations::table
            .filter(reservations::id.eq_any(ids.iter().map(|id| id.0)))
            .filter(reservations::status.eq(ReservationStatus::Waitlisted.as_str()))
            .select((reservations::id, reservations::starts_at))
            .load(&mut conn)
            .await
            .map_err(backend)?;
        let positions = first_come::positions(&mut conn, &waiting)
            .await
            .map_err(backend)?;
        Ok(positions
            .into_iter()
            .map(|(id, position)| (ReservationId(id), position))
            .collect())
    }

    async fn expire_waiting(
        &self,
        closed_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<ReservationId>, BackendError> {
        let mut conn = self.conn().await?;
        let expired = retry_tx!(first_come::expire(&mut conn, closed_before, now)
            .await
            .map_err(TxError::<std::convert::Infallible>::Db));
        match expired {
            Ok(ids) => Ok(ids.into_iter().map(ReservationId).collect()),
            Err(TxError::Db(e)) => Err(backend(e)),
            Err(TxError::Rule(never)) => match never {},
        }
    }
}
