//! What SQLite spells its own way. SQLite has no row locks: a transaction holds the whole
//! database's write lock from its first write until it ends, so writers are serialised and the
//! locking statements PostgreSQL needs become a no-op here, or a no-op write that takes that
//! lock early.

use super::Db;
use crate::dialect::SqlDialect;
use crate::rows::{
    seats_i32, secs, BatchClaimRow, ClaimedId, NewReservationRow, ReservationRow, SlotRow,
};
use crate::schema::{exam_slots, idempotency_keys, reservations};
use crate::statements::InsertIfRoom;
use diesel::prelude::*;
use diesel::query_source::AliasedField;
use diesel::QueryResult;
use diesel_async::AsyncConnection;
use diesel_async::RunQueryDsl;
use domain::audit::AuditNote;
use ports::NewReservation;

diesel::alias!(exam_slots as slots_in_range: SlotsInRange);

/// The starts of the slots in `[start, end)`: the row set of the counter updates. No lock is
/// needed: the transaction holds the database's write lock from its first write.
#[diesel::dsl::auto_type(no_type_alias)]
pub(super) fn slots_in(start: i64, end: i64) -> _ {
    let starts_at: AliasedField<SlotsInRange, exam_slots::starts_at> =
        slots_in_range.field(exam_slots::starts_at);
    slots_in_range
        .filter(starts_at.ge(start))
        .filter(starts_at.lt(end))
        .select(starts_at)
}

/// SQLite's side of the shared repository code.
#[derive(Debug)]
pub(crate) struct Sqlite;

impl SqlDialect for Sqlite {
    type Conn = Db;

    /// Several creates in one transaction, one commit: the guarded insert of each ask in turn (a
    /// statement costs no round trip in process) and, for an ask with an idempotency key, the
    /// link from the key's record to its reservation. For each ask, in order, the reservation it
    /// made, or none when a covered slot was missing or full.
    async fn insert_batch_if_room(
        conn: &mut Db,
        asks: &[NewReservation],
    ) -> QueryResult<Vec<Option<ReservationRow>>> {
        conn.transaction(async move |conn| {
            let mut made = Vec::with_capacity(asks.len());
            for ask in asks {
                let rows: Vec<ReservationRow> = InsertIfRoom {
                    user_id: ask.user_id.0,
                    starts_at: secs(ask.range.start()),
                    ends_at: secs(ask.range.end()),
                    seats: seats_i32(ask.seats),
                    now: secs(ask.now),
                    hours: i64::from(ask.range.hours()),
                }
                .load(conn)
                .await?;
                let row = rows.into_iter().next();
                if let (Some(row), Some(key)) = (&row, &ask.idempotency_key) {
                    diesel::update(idempotency_keys::table.find((ask.user_id.0, key)))
                        .set(idempotency_keys::resource_id.eq(row.id))
                        .execute(conn)
                        .await?;
                }
                made.push(row);
            }
            Ok(made)
        })
        .await
    }

    /// SQLite runs in process: several statements in one transaction cost no round trips, so there
    /// is no one-statement confirm here and the caller runs the plain transaction (`confirm_tx`).
    async fn confirm_in_one_statement(
        _conn: &mut Db,
        _id: i64,
        _now: i64,
        _audit: &AuditNote,
    ) -> Option<QueryResult<Vec<ReservationRow>>> {
        None
    }

    /// SQLite has no batch statement: the caller confirms one by one in one transaction.
    async fn confirm_batch_in_one_statement(
        _conn: &mut Db,
        _asks: &[(i64, &AuditNote)],
        _now: i64,
    ) -> Option<QueryResult<Vec<ReservationRow>>> {
        None
    }

    /// Reads a reservation through a no-op write, which takes the database's write lock: nothing
    /// can change it between this read and the writes that follow in the same transaction.
    async fn reservation_for_update(conn: &mut Db, id: i64) -> QueryResult<Option<ReservationRow>> {
        diesel::update(reservations::table.find(id))
            .set(reservations::id.eq(reservations::id))
            .returning(ReservationRow::as_returning())
            .get_result(conn)
            .await
            .optional()
    }

    /// Nothing to do: the transaction already holds the write lock (see the module docs).
    async fn lock_two_ranges(_conn: &mut Db, _a: (i64, i64), _b: (i64, i64)) -> QueryResult<()> {
        Ok(())
    }

    /// Nothing to lock: the transaction holds the write lock (see the module docs).
    async fn add_per_slot(conn: &mut Db, deltas: Vec<(i64, i32)>) -> QueryResult<()> {
        Self::add_to_locked_slots(conn, deltas).await
    }

    /// One statement per slot: the database is in-process, so a statement costs no network
    /// round trip.
    async fn add_to_locked_slots(conn: &mut Db, deltas: Vec<(i64, i32)>) -> QueryResult<()> {
        for (start, seats) in deltas {
            diesel::update(exam_slots::table.find(start))
                .set(exam_slots::confirmed.eq(exam_slots::confirmed + seats))
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// A no-op write takes the database's write lock first, so nothing changes the slots
    /// between this read and the writes that follow in the same transaction.
    async fn lock_slots(conn: &mut Db, starts: Vec<i64>) -> QueryResult<Vec<SlotRow>> {
        let mut rows: Vec<SlotRow> = diesel::update(exam_slots::table)
            .filter(exam_slots::starts_at.eq_any(starts))
            .set(exam_slots::starts_at.eq(exam_slots::starts_at))
            .returning(SlotRow::as_returning())
            .get_results(conn)
            .await?;
        rows.sort_by_key(|r| r.starts_at);
        Ok(rows)
    }

    async fn insert_reservations(
        conn: &mut Db,
        rows: &[NewReservationRow],
    ) -> QueryResult<Vec<ReservationRow>> {
        let mut inserted = Vec::with_capacity(rows.len());
        for row in rows {
            let made: ReservationRow = diesel::insert_into(reservations::table)
                .values((
                    reservations::user_id.eq(row.user_id),
                    reservations::starts_at.eq(row.starts_at),
                    reservations::ends_at.eq(row.ends_at),
                    reservations::seats.eq(row.seats),
                    reservations::status.eq(row.status),
                    reservations::booking_mode.eq(row.booking_mode),
                    reservations::created_at.eq(row.now),
                    reservations::updated_at.eq(row.now),
                ))
                .returning(ReservationRow::as_returning())
                .get_result(conn)
                .await?;
            if let Some(key) = &row.idempotency_key {
                diesel::update(idempotency_keys::table.find((row.user_id, key)))
                    .set(idempotency_keys::resource_id.eq(made.id))
                    .execute(conn)
                    .await?;
            }
            inserted.push(made);
        }
        Ok(inserted)
    }

    /// Inserts the slots that do not exist yet; returns how many were new. Runs on the blocking
    /// connection directly: only diesel's synchronous SQLite path knows how to batch these rows.
    async fn insert_missing_slots(conn: &mut Db, slots: &[SlotRow]) -> QueryResult<usize> {
        let slots = slots.to_vec();
        conn.spawn_blocking(move |conn| {
            diesel::RunQueryDsl::execute(
                diesel::insert_or_ignore_into(exam_slots::table).values(&slots),
                conn,
            )
        })
        .await
    }

    /// No one-statement claim: in process, the transaction of two statements costs no round trip.
    async fn claim_in_one_statement(
        _conn: &mut Db,
        _user_id: i64,
        _voucher_id: i64,
        _now: i64,
        _code: String,
    ) -> Option<QueryResult<Vec<ClaimedId>>> {
        None
    }

    /// A batch of claims as one transaction run whole on the connection's blocking thread
    /// (`claim_batch`). Run statement by statement, each would wait for its own hop to that
    /// thread: at a drop's 200 claims that was some 800 hops, and 80 ms for the batch.
    async fn claim_batch_at_once(
        conn: &mut Db,
        users: Vec<i64>,
        codes: Vec<String>,
        voucher_id: i64,
        now: i64,
    ) -> QueryResult<Vec<BatchClaimRow>> {
        conn.spawn_blocking(move |conn| {
            super::claim_batch::claim_batch(conn, &users, &codes, voucher_id, now)
        })
        .await
    }
}
