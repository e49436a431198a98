//! `ReservationRepository`: the guarded counter updates.

use super::guards::{
    explain, hours, load_row, missing_or_full, refusal, settle, take_seats, Change,
};
use super::{audit, confirms, dialect, Db, Dialect, Store};
use crate::dialect::SqlDialect;
use crate::errors::{backend, retry_tx, TxError};
use crate::rows::{seats_i32, secs, ReservationRow};
use crate::schema::{exam_slots, reservations};
use crate::statements::UpdatePendingIfRoom;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::{HourRange, Page, PageRequest, Reservation, ReservationId, ReservationStatus, Seats};
use ports::{
    BackendError, CreateReservationError, NewReservation, ReservationFilter, ReservationOrder,
    ReservationRepository,
};
use time::OffsetDateTime;

/// Gives `seats` back to every slot in `[start, end)`.
async fn free_seats(conn: &mut Db, start: i64, end: i64, seats: i32) -> QueryResult<()> {
    diesel::update(exam_slots::table)
        .filter(exam_slots::starts_at.eq_any(dialect::slots_in(start, end)))
        .set(exam_slots::confirmed.eq(exam_slots::confirmed - seats))
        .execute(conn)
        .await?;
    Ok(())
}

async fn cancel_tx(
    conn: &mut Db,
    id: ReservationId,
    expected: ReservationStatus,
    now: i64,
    audit: Option<&AuditNote>,
) -> Result<ReservationRow, TxError<Change>> {
    conn.transaction(async move |conn| {
        let row: Option<ReservationRow> = diesel::update(reservations::table)
            .filter(reservations::id.eq(id.0))
            .filter(reservations::status.eq(expected.as_str()))
            .set((
                reservations::status.eq("cancelled"),
                reservations::updated_at.eq(now),
            ))
            .returning(ReservationRow::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        let Some(row) = row else {
            return Err(TxError::Rule(Change::StatusChanged(expected)));
        };
        if expected == ReservationStatus::Confirmed {
            free_seats(conn, row.starts_at, row.ends_at, row.seats).await?;
        }
        if let Some(note) = audit {
            audit::write(conn, note, id.0).await?;
        }
        Ok(row)
    })
    .await
}

async fn move_tx(
    conn: &mut Db,
    id: ReservationId,
    range: HourRange,
    seats: Seats,
    now: i64,
    audit: &AuditNote,
) -> Result<ReservationRow, TxError<Change>> {
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
        free_seats(conn, old.starts_at, old.ends_at, old.seats).await?;
        if !take_seats(conn, &range, seats).await? {
            return Err(TxError::Rule(refusal(conn, &range).await?));
        }
        let moved = diesel::update(reservations::table.find(id.0))
            .set((
                reservations::starts_at.eq(secs(range.start())),
                reservations::ends_at.eq(secs(range.end())),
                reservations::seats.eq(seats_i32(seats)),
                reservations::updated_at.eq(now),
            ))
            .returning(ReservationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::write(conn, audit, id.0).await?;
        Ok(moved)
    })
    .await
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
        let failed = |e: BackendError| asks.iter().map(|_| Err(e.clone().into())).collect();
        let mut conn = match self.conn().await {
            Ok(conn) => conn,
            Err(e) => return failed(e),
        };
        let made = match Dialect::insert_batch_if_room(&mut conn, &asks).await {
            Ok(made) => made,
            Err(e) => return failed(backend(e)),
        };
        let mut outcomes = Vec::with_capacity(asks.len());
        for (ask, row) in asks.iter().zip(made) {
            outcomes.push(match row {
                Some(row) => row.into_reservation().map_err(Into::into),
                // The guard refused: a covered slot is missing, or has too few seats left.
                None => match missing_or_full(&mut conn, &ask.range).await {
                    Ok(true) => Err(CreateReservationError::SlotMissing),
                    Ok(false) => Err(CreateReservationError::InsufficientCapacity),
                    Err(e) => Err(backend(e).into()),
                },
            });
        }
        outcomes
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
        now: OffsetDateTime,
        audit: Option<AuditNote>,
    ) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        let outcome =
            retry_tx!(cancel_tx(&mut conn, id, expected, secs(now), audit.as_ref()).await);
        settle(&mut conn, id, expected, outcome).await
    }

    async fn move_confirmed(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(move_tx(&mut conn, id, range, seats, secs(now), &audit).await);
        settle(&mut conn, id, ReservationStatus::Confirmed, outcome).await
    }
}
