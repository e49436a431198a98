//! What PostgreSQL spells its own way: row locks taken in a fixed order, and bulk updates from
//! arrays.

use super::Db;
use crate::dialect::SqlDialect;
use crate::rows::{
    seats_i32, secs, BatchClaimRow, ClaimedId, InsertedRow, NewReservationRow, ReservationRow,
    SlotRow,
};
use crate::schema::{exam_slots, reservations};
use diesel::prelude::*;
use diesel::query_source::AliasedField;
use diesel::sql_types::{Array, BigInt, Integer};
use diesel::QueryResult;
use diesel_async::RunQueryDsl;
use domain::audit::AuditNote;
use ports::NewReservation;

diesel::alias!(exam_slots as locked_slots: LockedSlots);

/// `SELECT starts_at FROM exam_slots AS locked WHERE starts_at in [start, end) ORDER BY
/// starts_at FOR UPDATE`: used as the row set of counter updates, it takes the row locks in
/// ascending order, which is what keeps concurrent multi-hour changes from deadlocking.
#[diesel::dsl::auto_type(no_type_alias)]
pub(super) fn slots_in(start: i64, end: i64) -> _ {
    let starts_at: AliasedField<LockedSlots, exam_slots::starts_at> =
        locked_slots.field(exam_slots::starts_at);
    locked_slots
        .filter(starts_at.ge(start))
        .filter(starts_at.lt(end))
        .order(starts_at)
        .select(starts_at)
        .for_update()
}

#[derive(QueryableByName)]
struct StartsAt {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    starts_at: i64,
}

/// PostgreSQL's side of the shared repository code.
#[derive(Debug)]
pub(crate) struct Postgres;

impl SqlDialect for Postgres {
    type Conn = Db;

    /// Several creates in one statement, one commit (`statements::InsertBatchIfRoom`): for each ask,
    /// in order, the reservation it made, or none when a covered slot was missing or full. Each
    /// ask's idempotency key, when it has one, is linked to its reservation by the same statement.
    async fn insert_batch_if_room(
        conn: &mut Db,
        asks: &[NewReservation],
    ) -> QueryResult<Vec<Option<ReservationRow>>> {
        let rows: Vec<InsertedRow> = super::statements::InsertBatchIfRoom {
            user_ids: asks.iter().map(|a| a.user_id.0).collect(),
            starts_at: asks.iter().map(|a| secs(a.range.start())).collect(),
            ends_at: asks.iter().map(|a| secs(a.range.end())).collect(),
            seats: asks.iter().map(|a| seats_i32(a.seats)).collect(),
            keys: asks.iter().map(|a| a.idempotency_key.clone()).collect(),
            now: asks.iter().map(|a| secs(a.now)).collect(),
        }
        .load(conn)
        .await?;
        let mut made: Vec<Option<ReservationRow>> = asks.iter().map(|_| None).collect();
        for inserted in rows {
            let (ord, row) = inserted.split();
            if let Some(slot) = usize::try_from(ord - 1).ok().and_then(|i| made.get_mut(i)) {
                *slot = Some(row);
            }
        }
        Ok(made)
    }

    /// A confirm in one statement, one round trip (`statements::ConfirmInOneStatement`), prepared
    /// once per connection. No rows means it was not flipped: not pending, started, gone, or no
    /// room in some slot; the caller reads the record to say which.
    async fn confirm_in_one_statement(
        conn: &mut Db,
        id: i64,
        now: i64,
        audit: &AuditNote,
    ) -> Option<QueryResult<Vec<ReservationRow>>> {
        Some(
            super::statements::ConfirmInOneStatement {
                id,
                now,
                actor: audit.actor.map(|a| a.0),
                client: audit.client.map(|ip| ip.to_string()),
                changes: crate::audit_json::changes(audit),
            }
            .load(conn)
            .await,
        )
    }

    /// Several confirms in one statement, one commit (`statements::ConfirmBatchInOneStatement`),
    /// prepared once per connection: a row for each reservation it confirmed. It confirms every
    /// one it flips or, when some slot cannot take the total, none (an error).
    async fn confirm_batch_in_one_statement(
        conn: &mut Db,
        asks: &[(i64, &AuditNote)],
        now: i64,
    ) -> Option<QueryResult<Vec<ReservationRow>>> {
        Some(
            super::statements::ConfirmBatchInOneStatement {
                ids: asks.iter().map(|(id, _)| *id).collect(),
                actors: asks
                    .iter()
                    .map(|(_, note)| note.actor.map(|a| a.0))
                    .collect(),
                clients: asks
                    .iter()
                    .map(|(_, note)| note.client.map(|ip| ip.to_string()))
                    .collect(),
                changes: asks
                    .iter()
                    .map(|(_, note)| crate::audit_json::changes(note))
                    .collect(),
                now,
            }
            .load(conn)
            .await,
        )
    }

    /// Reads a reservation and locks it until the transaction ends.
    async fn reservation_for_update(conn: &mut Db, id: i64) -> QueryResult<Option<ReservationRow>> {
        reservations::table
            .find(id)
            .select(ReservationRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
    }

    /// Locks the slots of two ranges in one ascending pass, before a move frees one and takes the
    /// other.
    async fn lock_two_ranges(conn: &mut Db, a: (i64, i64), b: (i64, i64)) -> QueryResult<()> {
        diesel::sql_query(
            "SELECT starts_at FROM exam_slots \
             WHERE (starts_at >= $1 AND starts_at < $2) OR (starts_at >= $3 AND starts_at < $4) \
             ORDER BY starts_at FOR UPDATE",
        )
        .bind::<BigInt, _>(a.0)
        .bind::<BigInt, _>(a.1)
        .bind::<BigInt, _>(b.0)
        .bind::<BigInt, _>(b.1)
        .load::<StartsAt>(conn)
        .await?;
        Ok(())
    }

    /// Adds seats per slot start, locking the slots in ascending order first; one statement for
    /// all the slots.
    async fn add_per_slot(conn: &mut Db, deltas: Vec<(i64, i32)>) -> QueryResult<()> {
        Self::lock_slots(conn, deltas.iter().map(|(start, _)| *start).collect()).await?;
        Self::add_to_locked_slots(conn, deltas).await
    }

    async fn add_to_locked_slots(conn: &mut Db, deltas: Vec<(i64, i32)>) -> QueryResult<()> {
        let (starts, seats): (Vec<i64>, Vec<i32>) = deltas.into_iter().unzip();
        diesel::sql_query(
            "UPDATE exam_slots s SET confirmed = s.confirmed + d.seats \
             FROM (SELECT unnest($1) AS starts_at, unnest($2) AS seats) d \
             WHERE s.starts_at = d.starts_at",
        )
        .bind::<Array<BigInt>, _>(starts)
        .bind::<Array<Integer>, _>(seats)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn lock_slots(conn: &mut Db, starts: Vec<i64>) -> QueryResult<Vec<SlotRow>> {
        exam_slots::table
            .filter(exam_slots::starts_at.eq_any(starts))
            .order(exam_slots::starts_at)
            .select(SlotRow::as_select())
            .for_update()
            .load(conn)
            .await
    }

    async fn insert_reservations(
        conn: &mut Db,
        rows: &[NewReservationRow],
    ) -> QueryResult<Vec<ReservationRow>> {
        let rows: Vec<InsertedRow> = super::statements::InsertReservations {
            user_ids: rows.iter().map(|r| r.user_id).collect(),
            starts_at: rows.iter().map(|r| r.starts_at).collect(),
            ends_at: rows.iter().map(|r| r.ends_at).collect(),
            seats: rows.iter().map(|r| r.seats).collect(),
            statuses: rows.iter().map(|r| r.status.to_owned()).collect(),
            modes: rows.iter().map(|r| r.booking_mode.to_owned()).collect(),
            keys: rows.iter().map(|r| r.idempotency_key.clone()).collect(),
            now: rows.iter().map(|r| r.now).collect(),
        }
        .load(conn)
        .await?;
        let mut rows: Vec<(i64, ReservationRow)> =
            rows.into_iter().map(InsertedRow::split).collect();
        rows.sort_by_key(|(ord, _)| *ord);
        Ok(rows.into_iter().map(|(_, row)| row).collect())
    }

    /// Inserts the slots that do not exist yet, in one statement; returns how many were new.
    async fn insert_missing_slots(conn: &mut Db, slots: &[SlotRow]) -> QueryResult<usize> {
        diesel::insert_into(exam_slots::table)
            .values(slots)
            .on_conflict_do_nothing()
            .execute(conn)
            .await
    }

    /// A claim in one statement, one round trip (`statements::ClaimInOneStatement`), prepared once
    /// per connection. No row: the user had claimed it already. A refused take aborts the whole
    /// statement with a division by zero.
    async fn claim_in_one_statement(
        conn: &mut Db,
        user_id: i64,
        voucher_id: i64,
        now: i64,
        code: String,
    ) -> Option<QueryResult<Vec<ClaimedId>>> {
        Some(
            super::statements::ClaimInOneStatement {
                user_id,
                voucher_id,
                now,
                code,
            }
            .load(conn)
            .await,
        )
    }

    /// A batch of claims in one statement, one commit (`statements::ClaimBatchInOneStatement`),
    /// prepared once per connection: one row per user, in the order asked.
    async fn claim_batch_at_once(
        conn: &mut Db,
        users: Vec<i64>,
        codes: Vec<String>,
        voucher_id: i64,
        now: i64,
    ) -> QueryResult<Vec<BatchClaimRow>> {
        super::statements::ClaimBatchInOneStatement {
            users,
            codes,
            voucher_id,
            now,
        }
        .load(conn)
        .await
    }
}
