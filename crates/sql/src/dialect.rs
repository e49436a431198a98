//! What each SQL backend spells its own way, as one trait the compiler holds both backends to.
//! The shared repository code (`repos/`) reaches a backend's statements only through it
//! (`Dialect::...`), so a backend that lacks one, or spells its signature differently, does
//! not compile. (`slots_in`, a sub-select whose diesel type differs per backend, stays a free
//! function of each `dialect` module: its bounds are not worth spelling out here.)

use crate::rows::{BatchClaimRow, ClaimedId, NewReservationRow, ReservationRow, SlotRow};
use diesel::QueryResult;
use domain::audit::AuditNote;
use ports::NewReservation;
use std::future::Future;

pub(crate) trait SqlDialect {
    /// The backend's connection.
    type Conn: Send;

    /// The creates of a batch, one commit: for each ask, in order, the reservation it made, or
    /// none when a covered slot was missing or full. Each ask's idempotency key is linked to its
    /// reservation in the same transaction.
    fn insert_batch_if_room(
        conn: &mut Self::Conn,
        asks: &[NewReservation],
    ) -> impl Future<Output = QueryResult<Vec<Option<ReservationRow>>>> + Send;

    /// A confirm in one statement, where the backend has one (`None`: run the transaction).
    /// No rows means nothing was flipped.
    fn confirm_in_one_statement(
        conn: &mut Self::Conn,
        id: i64,
        now: i64,
        audit: &AuditNote,
    ) -> impl Future<Output = Option<QueryResult<Vec<ReservationRow>>>> + Send;

    /// Several confirms in one statement and one commit, where the backend has one: all it
    /// flips or, when a slot cannot take its total, none (an error).
    fn confirm_batch_in_one_statement(
        conn: &mut Self::Conn,
        asks: &[(i64, &AuditNote)],
        now: i64,
    ) -> impl Future<Output = Option<QueryResult<Vec<ReservationRow>>>> + Send;

    /// Reads a reservation so that nothing changes it until the transaction ends.
    fn reservation_for_update(
        conn: &mut Self::Conn,
        id: i64,
    ) -> impl Future<Output = QueryResult<Option<ReservationRow>>> + Send;

    /// Locks the slots of two ranges in one ascending pass, before a move.
    fn lock_two_ranges(
        conn: &mut Self::Conn,
        a: (i64, i64),
        b: (i64, i64),
    ) -> impl Future<Output = QueryResult<()>> + Send;

    /// Adds seats per slot start (negative: gives them back). The CHECK on the counter stays
    /// the last guard.
    fn add_per_slot(
        conn: &mut Self::Conn,
        deltas: Vec<(i64, i32)>,
    ) -> impl Future<Output = QueryResult<()>> + Send;

    /// As `add_per_slot`, on slots this transaction has locked already (`lock_slots`).
    fn add_to_locked_slots(
        conn: &mut Self::Conn,
        deltas: Vec<(i64, i32)>,
    ) -> impl Future<Output = QueryResult<()>> + Send;

    /// Reads the slots starting at `starts` and locks them until the transaction ends, in
    /// ascending order (which keeps concurrent changes of several hours from deadlocking).
    fn lock_slots(
        conn: &mut Self::Conn,
        starts: Vec<i64>,
    ) -> impl Future<Output = QueryResult<Vec<SlotRow>>> + Send;

    /// Inserts `rows` as they are (their status decided already), each linked to its
    /// idempotency key; the inserted rows, in order.
    fn insert_reservations(
        conn: &mut Self::Conn,
        rows: &[NewReservationRow],
    ) -> impl Future<Output = QueryResult<Vec<ReservationRow>>> + Send;

    /// Inserts the slots that do not exist yet; returns how many.
    fn insert_missing_slots(
        conn: &mut Self::Conn,
        slots: &[SlotRow],
    ) -> impl Future<Output = QueryResult<usize>> + Send;

    /// A claim in one statement, where the backend has one (`None`: run the transaction).
    fn claim_in_one_statement(
        conn: &mut Self::Conn,
        user_id: i64,
        voucher_id: i64,
        now: i64,
        code: String,
    ) -> impl Future<Output = Option<QueryResult<Vec<ClaimedId>>>> + Send;

    /// The claims of a batch, all or nothing with one commit: a row per asked user, in order.
    fn claim_batch_at_once(
        conn: &mut Self::Conn,
        users: Vec<i64>,
        codes: Vec<String>,
        voucher_id: i64,
        now: i64,
    ) -> impl Future<Output = QueryResult<Vec<BatchClaimRow>>> + Send;
}
