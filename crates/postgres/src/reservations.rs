//! `ReservationRepository` on PostgreSQL: the guarded counter updates.

use crate::errors::{backend, is_check_violation, retry_tx, TxError};
use crate::rows::{into_page, secs, ReservationRow};
use crate::schema::{exam_slots, reservations};
use crate::PgStore;
use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::{HourRange, Page, PageRequest, Reservation, ReservationId, ReservationStatus, Seats};
use ports::{
    BackendError, ChangeReservationError, CreateReservationError, NewReservation,
    ReservationFilter, ReservationRepository,
};
use time::OffsetDateTime;

type Change = ChangeReservationError;

diesel::alias!(exam_slots as locked_slots: LockedSlots);

/// Inserts a pending reservation only if every covered slot exists with enough room, in one
/// statement.
const INSERT_IF_ROOM: &str = "\
    INSERT INTO reservations (user_id, starts_at, ends_at, seats, status, created_at, updated_at) \
    SELECT $1, $2, $3, $4, 'pending', $5, $5 \
    WHERE (SELECT COUNT(*) FROM exam_slots \
           WHERE starts_at >= $2 AND starts_at < $3 AND capacity - confirmed >= $4) = $6 \
    RETURNING id, user_id, starts_at, ends_at, seats, status, created_at, updated_at";

/// Changes a pending reservation only if it is still pending and the new range has room.
const UPDATE_PENDING_IF_ROOM: &str = "\
    UPDATE reservations SET starts_at = $2, ends_at = $3, seats = $4, updated_at = $5 \
    WHERE id = $1 AND status = 'pending' \
      AND (SELECT COUNT(*) FROM exam_slots \
           WHERE starts_at >= $2 AND starts_at < $3 AND capacity - confirmed >= $4) = $6 \
    RETURNING id, user_id, starts_at, ends_at, seats, status, created_at, updated_at";

/// Locks the slots of two ranges in one ascending pass.
const LOCK_TWO_RANGES: &str = "\
    SELECT starts_at FROM exam_slots \
    WHERE (starts_at >= $1 AND starts_at < $2) OR (starts_at >= $3 AND starts_at < $4) \
    ORDER BY starts_at FOR UPDATE";

#[derive(QueryableByName)]
struct StartsAt {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    starts_at: i64,
}

fn hours(range: &HourRange) -> i64 {
    i64::from(range.hours())
}

fn seats_i32(seats: Seats) -> i32 {
    seats.get() as i32
}

/// After a guard refused: is a slot missing, or is there no room?
async fn missing_or_full(
    conn: &mut AsyncPgConnection,
    range: &HourRange,
) -> Result<bool, diesel::result::Error> {
    let present: i64 = exam_slots::table
        .filter(exam_slots::starts_at.ge(secs(range.start())))
        .filter(exam_slots::starts_at.lt(secs(range.end())))
        .count()
        .get_result(conn)
        .await?;
    Ok(present < hours(range))
}

async fn load_row(
    conn: &mut AsyncPgConnection,
    id: ReservationId,
) -> Result<Option<ReservationRow>, diesel::result::Error> {
    reservations::table
        .find(id.0)
        .select(ReservationRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Explains why a guarded statement on reservation `id` touched nothing.
async fn explain(
    conn: &mut AsyncPgConnection,
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

fn finish(outcome: Result<ReservationRow, TxError<Change>>) -> Result<Reservation, Change> {
    match outcome {
        Ok(row) => Ok(row.into_reservation()?),
        Err(TxError::Rule(e)) => Err(e),
        // The CHECK constraint is the last guard: hitting it means no room.
        Err(TxError::Db(e)) if is_check_violation(&e) => Err(Change::InsufficientCapacity),
        Err(TxError::Db(e)) => Err(Change::Backend(backend(e))),
    }
}

/// Why seats could not be taken in `range`: a missing slot or a full one. Asked inside the
/// failing transaction, before it rolls back.
async fn refusal(
    conn: &mut AsyncPgConnection,
    range: &HourRange,
) -> Result<Change, diesel::result::Error> {
    Ok(if missing_or_full(conn, range).await? {
        Change::SlotMissing
    } else {
        Change::InsufficientCapacity
    })
}

/// `SELECT starts_at FROM exam_slots AS locked WHERE starts_at in [start, end) ORDER BY
/// starts_at FOR UPDATE`: used as the row set of counter updates, it takes the row locks in
/// ascending order, which is what keeps concurrent multi-hour changes from deadlocking.
#[expect(
    clippy::type_complexity,
    reason = "the query type is spelled out once so both counter updates can embed it"
)]
fn slots_locked_in_order(
    start: i64,
    end: i64,
) -> diesel::dsl::ForUpdate<
    diesel::dsl::Select<
        diesel::dsl::Order<
            diesel::dsl::Filter<
                diesel::dsl::Filter<
                    diesel::query_source::Alias<LockedSlots>,
                    diesel::dsl::GtEq<
                        diesel::query_source::AliasedField<LockedSlots, exam_slots::starts_at>,
                        i64,
                    >,
                >,
                diesel::dsl::Lt<
                    diesel::query_source::AliasedField<LockedSlots, exam_slots::starts_at>,
                    i64,
                >,
            >,
            diesel::query_source::AliasedField<LockedSlots, exam_slots::starts_at>,
        >,
        diesel::query_source::AliasedField<LockedSlots, exam_slots::starts_at>,
    >,
> {
    let locked = locked_slots;
    let starts_at = locked.field(exam_slots::starts_at);
    locked
        .filter(starts_at.ge(start))
        .filter(starts_at.lt(end))
        .order(starts_at)
        .select(starts_at)
        .for_update()
}

async fn take_seats(
    conn: &mut AsyncPgConnection,
    range: &HourRange,
    seats: Seats,
) -> Result<bool, diesel::result::Error> {
    // Built with the query builder (not raw SQL) so that diesel caches the prepared statement:
    // this is the hottest statement of a confirm storm.
    let seats = seats_i32(seats);
    let locked_in_order = slots_locked_in_order(secs(range.start()), secs(range.end()));
    let changed = diesel::update(exam_slots::table)
        .filter(exam_slots::starts_at.eq_any(locked_in_order))
        .filter((exam_slots::confirmed + seats).le(exam_slots::capacity))
        .set(exam_slots::confirmed.eq(exam_slots::confirmed + seats))
        .execute(conn)
        .await?;
    Ok(changed as i64 == hours(range))
}

async fn free_seats(
    conn: &mut AsyncPgConnection,
    start: i64,
    end: i64,
    seats: i32,
) -> Result<(), diesel::result::Error> {
    let locked_in_order = slots_locked_in_order(start, end);
    diesel::update(exam_slots::table)
        .filter(exam_slots::starts_at.eq_any(locked_in_order))
        .set(exam_slots::confirmed.eq(exam_slots::confirmed - seats))
        .execute(conn)
        .await?;
    Ok(())
}

async fn confirm_tx(
    conn: &mut AsyncPgConnection,
    id: ReservationId,
    now: i64,
) -> Result<ReservationRow, TxError<Change>> {
    conn.transaction(async move |conn| {
        let flipped: Option<ReservationRow> = diesel::update(reservations::table)
            .filter(reservations::id.eq(id.0))
            .filter(reservations::status.eq("pending"))
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
        Ok(row)
    })
    .await
}

async fn cancel_tx(
    conn: &mut AsyncPgConnection,
    id: ReservationId,
    expected: ReservationStatus,
    now: i64,
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
        Ok(row)
    })
    .await
}

async fn move_tx(
    conn: &mut AsyncPgConnection,
    id: ReservationId,
    range: HourRange,
    seats: Seats,
    now: i64,
) -> Result<ReservationRow, TxError<Change>> {
    conn.transaction(async move |conn| {
        let old: Option<ReservationRow> = reservations::table
            .find(id.0)
            .select(ReservationRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let old = old.ok_or(TxError::Rule(Change::NotFound))?;
        if old.status != "confirmed" {
            return Err(TxError::Rule(Change::StatusChanged(
                ReservationStatus::Confirmed,
            )));
        }
        diesel::sql_query(LOCK_TWO_RANGES)
            .bind::<BigInt, _>(old.starts_at)
            .bind::<BigInt, _>(old.ends_at)
            .bind::<BigInt, _>(secs(range.start()))
            .bind::<BigInt, _>(secs(range.end()))
            .load::<StartsAt>(conn)
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
        Ok(moved)
    })
    .await
}

/// Turns a transaction outcome into the port's answer; a refused status guard is explained
/// from the row as it is now (not found, or which status it has).
async fn settle(
    conn: &mut AsyncPgConnection,
    id: ReservationId,
    expected: ReservationStatus,
    outcome: Result<ReservationRow, TxError<Change>>,
) -> Result<Reservation, Change> {
    match outcome {
        Err(TxError::Rule(Change::StatusChanged(_) | Change::NotFound)) => {
            Err(explain(conn, id, expected, None).await)
        }
        other => finish(other),
    }
}

#[async_trait]
impl ReservationRepository for PgStore {
    async fn create(&self, new: NewReservation) -> Result<Reservation, CreateReservationError> {
        let mut conn = self.conn().await?;
        let now = secs(new.now);
        let rows: Vec<ReservationRow> = diesel::sql_query(INSERT_IF_ROOM)
            .bind::<BigInt, _>(new.user_id.0)
            .bind::<BigInt, _>(secs(new.range.start()))
            .bind::<BigInt, _>(secs(new.range.end()))
            .bind::<Integer, _>(seats_i32(new.seats))
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(hours(&new.range))
            .load(&mut conn)
            .await
            .map_err(backend)?;
        match rows.into_iter().next() {
            Some(row) => Ok(row.into_reservation()?),
            None => match missing_or_full(&mut conn, &new.range)
                .await
                .map_err(backend)?
            {
                true => Err(CreateReservationError::SlotMissing),
                false => Err(CreateReservationError::InsufficientCapacity),
            },
        }
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
        let rows: Vec<(ReservationRow, i64)> = build()
            .select((
                ReservationRow::as_select(),
                sql::<BigInt>("COUNT(*) OVER ()"),
            ))
            .order((reservations::created_at.desc(), reservations::id.desc()))
            .limit(i64::from(page.per_page()))
            .offset(page.offset() as i64)
            .load(&mut conn)
            .await
            .map_err(backend)?;
        into_page(
            rows,
            page,
            |r| r.1,
            || build().count().get_result(&mut conn),
            |(r, _)| r.into_reservation(),
        )
        .await
    }

    async fn update_pending(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
    ) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        let rows: Vec<ReservationRow> = diesel::sql_query(UPDATE_PENDING_IF_ROOM)
            .bind::<BigInt, _>(id.0)
            .bind::<BigInt, _>(secs(range.start()))
            .bind::<BigInt, _>(secs(range.end()))
            .bind::<Integer, _>(seats_i32(seats))
            .bind::<BigInt, _>(secs(now))
            .bind::<BigInt, _>(hours(&range))
            .load(&mut conn)
            .await
            .map_err(backend)?;
        match rows.into_iter().next() {
            Some(row) => Ok(row.into_reservation()?),
            None => Err(explain(&mut conn, id, ReservationStatus::Pending, Some(&range)).await),
        }
    }

    async fn confirm(&self, id: ReservationId, now: OffsetDateTime) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(confirm_tx(&mut conn, id, secs(now)).await);
        settle(&mut conn, id, ReservationStatus::Pending, outcome).await
    }

    async fn cancel(
        &self,
        id: ReservationId,
        expected: ReservationStatus,
        now: OffsetDateTime,
    ) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(cancel_tx(&mut conn, id, expected, secs(now)).await);
        settle(&mut conn, id, expected, outcome).await
    }

    async fn move_confirmed(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
    ) -> Result<Reservation, Change> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(move_tx(&mut conn, id, range, seats, secs(now)).await);
        settle(&mut conn, id, ReservationStatus::Confirmed, outcome).await
    }
}
