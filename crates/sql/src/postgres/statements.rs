//! PostgreSQL's own statements: a confirm, a batch of confirms, a claim and a batch of claims,
//! each in one statement and one round trip, and the creates of a batch in one insert. They
//! lean on data-modifying CTEs and arrays, which SQLite lacks; there each is a transaction of
//! small statements (in process, a statement costs no round trip).

use crate::statements::{statement, RETURNING};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Untyped};
use diesel::QueryResult;

/// The confirms' guard on reservation `r` before it is flipped: every hour it covers has a slot
/// with room for its seats, read without locks (the locked, guarded take stays the guard).
const HAS_ROOM_ON_ITS_OWN: &str = " AND (SELECT COUNT(*) FROM exam_slots s \
       WHERE s.starts_at >= r.starts_at AND s.starts_at < r.ends_at \
         AND s.confirmed + r.seats <= s.capacity) = (r.ends_at - r.starts_at) / 3600";

statement!(InsertBatchIfRoom {
    user_ids: Vec<i64>,
    starts_at: Vec<i64>,
    ends_at: Vec<i64>,
    seats: Vec<i32>,
    keys: Vec<Option<String>>,
    now: Vec<i64>,
});

/// PostgreSQL's creates of a batch in one statement, one commit: each asked reservation is
/// inserted, pending, when every hour it covers has a slot with room for its seats right now
/// (pending seats hold no room, so the rows of a batch never stand in each other's way). Ids
/// are drawn before the insert, so that each inserted row can be matched to its ask (`ord`,
/// from 1) and to its idempotency key, whose record gets the new id in the same statement.
impl QueryFragment<diesel::pg::Pg> for InsertBatchIfRoom {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH asked AS ( \
                 SELECT nextval('reservations_id_seq'::regclass) AS id, a.* FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.user_ids)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.starts_at)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.ends_at)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<Integer>, _>(&self.seats)?;
        out.push_sql("::integer[], ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.keys)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.now)?;
        out.push_sql(
            "::bigint[]) WITH ORDINALITY AS a(user_id, starts_at, ends_at, seats, key, now, ord) \
             ), inserted AS ( \
                 INSERT INTO reservations \
                     (id, user_id, starts_at, ends_at, seats, status, created_at, updated_at) \
                 SELECT a.id, a.user_id, a.starts_at, a.ends_at, a.seats, 'pending', a.now, a.now \
                 FROM asked a \
                 WHERE (SELECT COUNT(*) FROM exam_slots s \
                        WHERE s.starts_at >= a.starts_at AND s.starts_at < a.ends_at \
                          AND s.capacity - s.confirmed >= a.seats \
                          AND s.booking_mode = 'approval') \
                       = (a.ends_at - a.starts_at) / 3600",
        );
        out.push_sql(RETURNING);
        out.push_sql(
            " ), linked AS ( \
                 UPDATE idempotency_keys k SET resource_id = i.id \
                 FROM inserted i JOIN asked a ON a.id = i.id \
                 WHERE a.key IS NOT NULL AND k.user_id = a.user_id AND k.key = a.key \
             ) \
             SELECT i.id, i.user_id, i.starts_at, i.ends_at, i.seats, i.status, i.created_at, \
                    i.updated_at, i.booking_mode, a.ord \
             FROM inserted i JOIN asked a ON a.id = i.id",
        );
        Ok(())
    }
}

statement!(ConfirmInOneStatement {
    id: i64,
    now: i64,
    actor: Option<i64>,
    client: Option<String>,
    changes: String,
});

/// PostgreSQL's confirm in one statement (see `postgres::dialect::confirm_in_one_statement`):
/// flip the reservation to confirmed if it is still pending, has not started and its slots
/// show room in the statement's snapshot (this locks it; no row when any of that fails), lock its slots in ascending order, add its seats where `confirmed + seats <= capacity`,
/// and check that every covered slot took them. If one did not, the check divides by zero,
/// which aborts the whole statement: nothing is flipped, nothing taken, nothing audited. The
/// audit note is inserted by the same statement, from the flipped row, so it exists exactly
/// when the confirm does. The reservation row (whose status change touches every index of the
/// table) and the note are written before the hot slot row is locked, so the slot's lock is
/// held only for its own update and the commit.
///
/// (Answering the reason for a refusal from the same statement, with a `UNION ALL` branch,
/// was tried: pgbench showed it 20% slower for the confirms that succeed.)
impl QueryFragment<diesel::pg::Pg> for ConfirmInOneStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH flipped AS ( UPDATE reservations r SET status = 'confirmed', updated_at = ",
        );
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(" WHERE r.id = ");
        out.push_bind_param::<BigInt, _>(&self.id)?;
        out.push_sql(" AND r.status = 'pending' AND r.starts_at > ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        // A read without locks first: once a slot is full, a confirm that cannot fit writes
        // nothing and waits for no lock (the locked take below stays the guard).
        out.push_sql(HAS_ROOM_ON_ITS_OWN);
        out.push_sql(
            " RETURNING r.id, r.user_id, r.starts_at, r.ends_at, r.seats, r.status, r.created_at, \
                       r.updated_at, r.booking_mode \
             ), audited AS ( \
                 INSERT INTO audit_log \
                     (at, actor_id, client_addr, action, target_kind, target_id, changes) \
                 SELECT f.updated_at, ",
        );
        out.push_bind_param::<Nullable<BigInt>, _>(&self.actor)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.client)?;
        out.push_sql(", 'reservation.confirmed', 'reservation', f.id, ");
        out.push_bind_param::<Text, _>(&self.changes)?;
        // `locked` and `taken` read the count of `audited` (an init plan, run before their
        // first row), so the note and its index entries are written before any slot row is
        // locked. A reservation of several hours locks its slots in ascending order first
        // (`locked`), which keeps concurrent multi-hour changes from deadlocking; one of a
        // single hour, the usual case, is locked by its update alone: locking the hot row and
        // then updating it costs PostgreSQL two writes of that row under the lock, and
        // measured with pgbench it halves the rate of confirms on one slot.
        out.push_sql(
            " FROM flipped f RETURNING id \
             ), locked AS ( \
                 SELECT s.starts_at FROM exam_slots s JOIN flipped f \
                   ON s.starts_at >= f.starts_at AND s.starts_at < f.ends_at \
                 WHERE (SELECT COUNT(*) FROM audited) = 1 AND f.ends_at - f.starts_at > 3600 \
                 ORDER BY s.starts_at \
                 FOR UPDATE OF s \
             ), taken AS ( \
                 UPDATE exam_slots s SET confirmed = s.confirmed + f.seats \
                 FROM flipped f \
                 WHERE s.starts_at >= f.starts_at AND s.starts_at < f.ends_at \
                   AND s.confirmed + f.seats <= s.capacity \
                   AND (SELECT COUNT(*) FROM audited) = 1 \
                   AND (SELECT COUNT(*) FROM locked) >= 0 \
                 RETURNING s.starts_at \
             ) \
             SELECT f.id, f.user_id, f.starts_at, f.ends_at, f.seats, f.status, f.created_at, \
                    f.updated_at, f.booking_mode, \
                    1 / (CASE WHEN (SELECT COUNT(*) FROM taken) = (f.ends_at - f.starts_at) / 3600 \
                              THEN 1 ELSE 0 END) AS every_slot_took_the_seats \
             FROM flipped f",
        );
        Ok(())
    }
}

statement!(ConfirmBatchInOneStatement {
    ids: Vec<i64>,
    actors: Vec<Option<i64>>,
    clients: Vec<Option<String>>,
    changes: Vec<String>,
    now: i64,
});

/// PostgreSQL's confirm of several reservations in one statement, one commit for all of them:
/// the same steps as `ConfirmInOneStatement`, over a list. Every listed reservation that is
/// still pending, has not started and shows room in the statement's snapshot is flipped and
/// audited; then the seats of all of them are added per slot, where `confirmed + seats <=
/// capacity` for the slot's total. If any slot cannot take its total, the check divides by
/// zero and the whole statement is rolled back: the caller then confirms them one by one. So
/// the statement confirms all it flips or none, never a part, and a slot's guard holds for
/// the sum. Slots are locked in ascending order first when the batch covers more than one.
/// One row per flipped reservation; an id listed twice is flipped once.
impl QueryFragment<diesel::pg::Pg> for ConfirmBatchInOneStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH asked AS ( \
                 SELECT DISTINCT ON (a.id) a.id, a.actor, a.client, a.changes \
                 FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.ids)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.actors)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.clients)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Text>, _>(&self.changes)?;
        out.push_sql(
            "::text[]) WITH ORDINALITY AS a(id, actor, client, changes, ord) \
                 ORDER BY a.id, a.ord \
             ), flipped AS ( UPDATE reservations r SET status = 'confirmed', updated_at = ",
        );
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(" FROM asked a WHERE r.id = a.id AND r.status = 'pending' AND r.starts_at > ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(HAS_ROOM_ON_ITS_OWN);
        out.push_sql(
            " RETURNING r.id, r.user_id, r.starts_at, r.ends_at, r.seats, r.status, r.created_at, \
                       r.updated_at, r.booking_mode, a.actor, a.client, a.changes \
             ), audited AS ( \
                 INSERT INTO audit_log \
                     (at, actor_id, client_addr, action, target_kind, target_id, changes) \
                 SELECT f.updated_at, f.actor, f.client, 'reservation.confirmed', 'reservation', \
                        f.id, f.changes \
                 FROM flipped f RETURNING id \
             ), wanted AS ( \
                 SELECT s.starts_at, SUM(f.seats) AS seats FROM exam_slots s JOIN flipped f \
                   ON s.starts_at >= f.starts_at AND s.starts_at < f.ends_at \
                 WHERE (SELECT COUNT(*) FROM audited) > 0 \
                 GROUP BY s.starts_at \
             ), locked AS ( \
                 SELECT s.starts_at FROM exam_slots s JOIN wanted w ON w.starts_at = s.starts_at \
                 WHERE (SELECT COUNT(*) FROM wanted) > 1 \
                 ORDER BY s.starts_at \
                 FOR UPDATE OF s \
             ), taken AS ( \
                 UPDATE exam_slots s SET confirmed = s.confirmed + w.seats \
                 FROM wanted w \
                 WHERE s.starts_at = w.starts_at AND s.confirmed + w.seats <= s.capacity \
                   AND (SELECT COUNT(*) FROM locked) >= 0 \
                 RETURNING s.starts_at \
             ) \
             SELECT f.id, f.user_id, f.starts_at, f.ends_at, f.seats, f.status, f.created_at, \
                    f.updated_at, f.booking_mode, \
                    1 / (CASE WHEN (SELECT COUNT(*) FROM taken) = (SELECT COUNT(*) FROM wanted) \
                              THEN 1 ELSE 0 END) AS every_slot_took_the_seats \
             FROM flipped f",
        );
        Ok(())
    }
}

statement!(ClaimInOneStatement {
    user_id: i64,
    voucher_id: i64,
    now: i64,
    code: String,
});

/// PostgreSQL's claim in one statement: record the claim (one per user and voucher: a repeat
/// inserts nothing and the statement returns no row), then take one unit where the voucher is
/// open and has some left. If it cannot, the check divides by zero, which aborts the whole
/// statement, the claim with it. The voucher row, the drop's one hot row, is locked only from
/// its update to the commit that ends this same statement: no round trip in between.
impl QueryFragment<diesel::pg::Pg> for ClaimInOneStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH claimed AS ( \
                 INSERT INTO voucher_claims (user_id, voucher_id, claimed_at, redemption_code) \
                 VALUES (",
        );
        out.push_bind_param::<BigInt, _>(&self.user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.voucher_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.code)?;
        out.push_sql(
            ") ON CONFLICT (user_id, voucher_id) DO NOTHING RETURNING id \
             ), taken AS ( \
                 UPDATE vouchers SET remaining = remaining - 1 \
                 WHERE id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.voucher_id)?;
        out.push_sql(" AND remaining > 0 AND NOT closed AND (opens_at IS NULL OR opens_at <= ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(") AND (closes_at IS NULL OR closes_at > ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(
            ") AND EXISTS (SELECT 1 FROM claimed) \
                 RETURNING id \
             ) \
             SELECT c.id, 1 / (SELECT COUNT(*) FROM taken) AS one_unit_was_taken \
             FROM claimed c",
        );
        Ok(())
    }
}

statement!(ClaimBatchInOneStatement {
    users: Vec<i64>,
    codes: Vec<String>,
    voucher_id: i64,
    now: i64,
});

/// PostgreSQL's claim of a batch of users in one statement, one commit for all of them:
/// leave out the users who already hold a claim, lock the voucher row where it is open with
/// some left, take as many units as there are new claimers (at most what is left), and
/// record the claims of the first that many, in the order asked. One row per asked user:
/// the new claim's id, or none with whether the user had claimed before; and the voucher's
/// book, so that the answers need no second read.
///
/// A user who claims meanwhile through another process makes the insert fail on the unique
/// (user, voucher) key, which aborts the whole statement, the take with it: the caller runs
/// it again, and the new snapshot leaves that user out.
impl QueryFragment<diesel::pg::Pg> for ClaimBatchInOneStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH asked AS ( \
                 SELECT a.user_id, a.code, a.ord \
                 FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.users)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<Text>, _>(&self.codes)?;
        out.push_sql(
            "::text[]) WITH ORDINALITY AS a(user_id, code, ord) \
             ), fresh AS ( \
                 SELECT a.user_id, a.code, row_number() OVER (ORDER BY a.ord) AS place \
                 FROM asked a \
                 WHERE NOT EXISTS (SELECT 1 FROM voucher_claims c \
                                   WHERE c.voucher_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.voucher_id)?;
        out.push_sql(
            " AND c.user_id = a.user_id) \
             ), open AS ( \
                 SELECT v.id, v.remaining FROM vouchers v \
                 WHERE v.id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.voucher_id)?;
        out.push_sql(
            " AND v.remaining > 0 AND NOT v.closed AND (v.opens_at IS NULL OR v.opens_at <= ",
        );
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(") AND (v.closes_at IS NULL OR v.closes_at > ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(
            ") FOR UPDATE \
             ), taken AS ( \
                 UPDATE vouchers v SET remaining = v.remaining - LEAST(o.remaining, w.n) \
                 FROM open o, (SELECT COUNT(*) AS n FROM fresh) w \
                 WHERE v.id = o.id AND w.n > 0 AND v.remaining >= LEAST(o.remaining, w.n) \
                 RETURNING LEAST(o.remaining, w.n) AS units \
             ), claimed AS ( \
                 INSERT INTO voucher_claims (user_id, voucher_id, claimed_at, redemption_code) \
                 SELECT f.user_id, ",
        );
        out.push_bind_param::<BigInt, _>(&self.voucher_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(
            ", f.code FROM fresh f WHERE f.place <= (SELECT units FROM taken) \
                 RETURNING id, user_id \
             ) \
             SELECT a.user_id, c.id AS claim_id, f.user_id IS NULL AS already_claimed, \
                    b.id AS book_id, b.title AS book_title, b.author AS book_author, \
                    b.cover_url AS book_cover_url, b.created_at AS book_created_at \
             FROM asked a \
             LEFT JOIN fresh f ON f.user_id = a.user_id \
             LEFT JOIN claimed c ON c.user_id = a.user_id \
             LEFT JOIN (vouchers v JOIN books b ON b.id = v.book_id) ON v.id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.voucher_id)?;
        out.push_sql(" ORDER BY a.ord");
        Ok(())
    }
}

statement!(InsertReservations {
    user_ids: Vec<i64>,
    starts_at: Vec<i64>,
    ends_at: Vec<i64>,
    seats: Vec<i32>,
    statuses: Vec<String>,
    modes: Vec<String>,
    keys: Vec<Option<String>>,
    now: Vec<i64>,
});

/// PostgreSQL's insert of reservations whose status is decided already (the first-come ones of
/// a batch), in one statement: each row comes back with the position (`ord`, from 1) of its
/// ask, and each idempotency key is linked to its row by the same statement.
impl QueryFragment<diesel::pg::Pg> for InsertReservations {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH asked AS ( \
                 SELECT nextval('reservations_id_seq'::regclass) AS id, a.* FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.user_ids)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.starts_at)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.ends_at)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<Integer>, _>(&self.seats)?;
        out.push_sql("::integer[], ");
        out.push_bind_param::<Array<Text>, _>(&self.statuses)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Text>, _>(&self.modes)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.keys)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.now)?;
        out.push_sql(
            "::bigint[]) WITH ORDINALITY \
                 AS a(user_id, starts_at, ends_at, seats, status, mode, key, now, ord) \
             ), inserted AS ( \
                 INSERT INTO reservations (id, user_id, starts_at, ends_at, seats, status, \
                                           booking_mode, created_at, updated_at) \
                 SELECT a.id, a.user_id, a.starts_at, a.ends_at, a.seats, a.status, a.mode, \
                        a.now, a.now \
                 FROM asked a",
        );
        out.push_sql(RETURNING);
        out.push_sql(
            " ), linked AS ( \
                 UPDATE idempotency_keys k SET resource_id = i.id \
                 FROM inserted i JOIN asked a ON a.id = i.id \
                 WHERE a.key IS NOT NULL AND k.user_id = a.user_id AND k.key = a.key \
             ) \
             SELECT i.id, i.user_id, i.starts_at, i.ends_at, i.seats, i.status, i.created_at, \
                    i.updated_at, i.booking_mode, a.ord \
             FROM inserted i JOIN asked a ON a.id = i.id",
        );
        Ok(())
    }
}
