//! `VoucherClaims`: a claim is all or nothing (one statement on PostgreSQL, a transaction on
//! SQLite): a unique claim per user and a guarded decrement of `remaining`. Claims that arrive
//! together are stored by one statement with one commit.

use super::redemptions::{self, claim_by_id};
use super::{Db, Dialect, Store};
use crate::dialect::SqlDialect;
use crate::errors::{
    backend, is_division_by_zero, is_foreign_key_violation, is_transient, is_unique_violation,
    retry_tx, TxError, ATTEMPTS,
};
use crate::rows::{secs, BatchClaimRow, BookRow, ClaimRow, VoucherRow};
use crate::schema::{books, voucher_claims, vouchers};
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::voucher::{Claim, ClaimId, VoucherId};
use domain::{Page, PageRequest, RedemptionCode, UserId};
use ports::{BackendError, ClaimError, RedeemError, UseClaimError, VoucherClaims};
use time::OffsetDateTime;

/// A fresh redemption code: 80 bits from the thread's cryptographically secure generator.
fn fresh_code() -> RedemptionCode {
    RedemptionCode::from_random(rand::random())
}

/// Why a voucher refused a unit at `now`, from its row as `conn` sees it.
async fn refusal(conn: &mut Db, voucher: VoucherId, now: i64) -> QueryResult<ClaimError> {
    let row: Option<VoucherRow> = vouchers::table
        .find(voucher.0)
        .select(VoucherRow::as_select())
        .first(conn)
        .await
        .optional()?;
    // Open, yet the take was refused: no unit was left for it when it ran.
    Ok(row.map_or(ClaimError::NotFound, |v| {
        v.refusal_at(now).unwrap_or(ClaimError::SoldOut)
    }))
}

fn not_found_if_no_voucher(e: diesel::result::Error) -> TxError<ClaimError> {
    if is_foreign_key_violation(&e) {
        TxError::Rule(ClaimError::NotFound)
    } else {
        TxError::Db(e)
    }
}

/// Records the claim and takes one unit, or rolls back and says why.
async fn claim_tx(
    conn: &mut Db,
    user: UserId,
    voucher: VoucherId,
    now: i64,
    code: &str,
) -> Result<i64, TxError<ClaimError>> {
    conn.transaction(async move |conn| {
        let inserted: Option<i64> = diesel::insert_into(voucher_claims::table)
            .values((
                voucher_claims::user_id.eq(user.0),
                voucher_claims::voucher_id.eq(voucher.0),
                voucher_claims::claimed_at.eq(now),
                voucher_claims::redemption_code.eq(code),
            ))
            .on_conflict((voucher_claims::user_id, voucher_claims::voucher_id))
            .do_nothing()
            .returning(voucher_claims::id)
            .get_result(conn)
            .await
            .optional()
            .map_err(not_found_if_no_voucher)?;
        let Some(claim_id) = inserted else {
            return Err(TxError::Rule(ClaimError::AlreadyClaimed));
        };
        let taken = diesel::update(vouchers::table)
            .filter(vouchers::id.eq(voucher.0))
            .filter(vouchers::remaining.gt(0))
            .filter(vouchers::closed.eq(false))
            .filter(vouchers::opens_at.is_null().or(vouchers::opens_at.le(now)))
            .filter(
                vouchers::closes_at
                    .is_null()
                    .or(vouchers::closes_at.gt(now)),
            )
            .set(vouchers::remaining.eq(vouchers::remaining - 1))
            .execute(conn)
            .await?;
        if taken == 1 {
            return Ok(claim_id);
        }
        // Refused: say why, from the row as this transaction sees it, then roll back.
        Err(TxError::Rule(refusal(conn, voucher, now).await?))
    })
    .await
}

/// The claim as the backend's single statement where it has one (PostgreSQL: one round trip,
/// the hot voucher row locked only for that statement), else as a transaction.
async fn claim_once(
    conn: &mut Db,
    user: UserId,
    voucher: VoucherId,
    now: i64,
) -> Result<i64, TxError<ClaimError>> {
    let code = fresh_code().as_str().to_owned();
    let Some(outcome) =
        Dialect::claim_in_one_statement(conn, user.0, voucher.0, now, code.clone()).await
    else {
        return claim_tx(conn, user, voucher, now, &code).await;
    };
    match outcome {
        Ok(rows) => match rows.into_iter().next() {
            Some(row) => Ok(row.id),
            None => Err(TxError::Rule(ClaimError::AlreadyClaimed)),
        },
        // The statement refuses a take by dividing by zero, which rolls the claim back too.
        Err(e) if is_division_by_zero(&e) => Err(TxError::Rule(refusal(conn, voucher, now).await?)),
        Err(e) => Err(not_found_if_no_voucher(e)),
    }
}

/// What a batch decided for each asked user, in the order asked: the new claim's id and
/// code, or why not.
type BatchOutcome = Vec<Result<(i64, String), ClaimError>>;

/// A batch's decisions, and the voucher's book when the batch statement returned it.
struct Decided {
    outcome: BatchOutcome,
    book: Option<BookRow>,
}

/// One attempt at a batch, all or nothing with one commit: PostgreSQL's single statement, or
/// SQLite's transaction run whole on its connection's thread.
async fn claim_batch_once(
    conn: &mut Db,
    users: &[UserId],
    voucher: VoucherId,
    now: i64,
) -> QueryResult<Decided> {
    let codes: Vec<String> = users
        .iter()
        .map(|_| fresh_code().as_str().to_owned())
        .collect();
    let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
    let rows = Dialect::claim_batch_at_once(conn, ids, codes.clone(), voucher.0, now).await?;
    if rows.len() != users.len() || rows.iter().zip(users).any(|(r, u)| r.user_id != u.0) {
        return Err(diesel::result::Error::DeserializationError(
            "a batch claim answered for other users than asked".into(),
        ));
    }
    let book = <[BatchClaimRow]>::first(&rows).and_then(BatchClaimRow::book);
    // Everyone the statement neither served nor knew as a claimer was refused for one reason,
    // which the voucher's row gives: read once, after the commit.
    let mut reason: Option<ClaimError> = None;
    let mut outcome = Vec::with_capacity(rows.len());
    for (row, code) in rows.into_iter().zip(codes) {
        outcome.push(match row {
            BatchClaimRow {
                claim_id: Some(id), ..
            } => Ok((id, code)),
            BatchClaimRow {
                already_claimed: true,
                ..
            } => Err(ClaimError::AlreadyClaimed),
            _ => {
                if reason.is_none() {
                    reason = Some(refusal(conn, voucher, now).await?);
                }
                Err(reason.clone().unwrap_or(ClaimError::SoldOut))
            }
        });
    }
    Ok(Decided { outcome, book })
}

/// Whose claims to list: a user's (newest first) or a voucher's (oldest first).
#[derive(Clone, Copy)]
enum ClaimsOf {
    User(UserId),
    Voucher(VoucherId),
}

impl Store {
    /// A batch claim, again while it fails on a conflict: a transient one, or a user who
    /// claimed meanwhile through another process (the next attempt leaves them out).
    async fn claim_batch(
        &self,
        users: &[UserId],
        voucher: VoucherId,
        now: i64,
    ) -> Result<Vec<Result<Claim, ClaimError>>, BackendError> {
        let mut conn = self.conn().await?;
        let mut tries = 0;
        let decided = loop {
            tries += 1;
            match claim_batch_once(&mut conn, users, voucher, now).await {
                Err(e) if tries < ATTEMPTS && (is_transient(&e) || is_unique_violation(&e)) => {
                    tracing::debug!(error = %e, tries, "retrying a batch claim");
                }
                other => break other.map_err(backend)?,
            }
        };
        let claims = match decided.book {
            // Everything a new claim holds is known: no second read.
            Some(book) => {
                let book = book.into_book()?;
                let claimed_at = crate::rows::instant(now)?;
                decided
                    .outcome
                    .into_iter()
                    .zip(users)
                    .map(|(d, user)| match d {
                        Ok((id, code)) => Ok(Ok(Claim {
                            id: ClaimId(id),
                            user_id: *user,
                            voucher_id: voucher,
                            code: RedemptionCode::parse(&code)
                                .map_err(|_| BackendError::msg("a drawn code did not parse"))?,
                            book: book.clone(),
                            claimed_at,
                            used_at: None,
                        })),
                        Err(refused) => Ok(Err(refused)),
                    })
                    .collect::<Result<Vec<_>, BackendError>>()?
            }
            // No such voucher: nobody was served.
            None => decided
                .outcome
                .into_iter()
                .map(|d| match d {
                    Ok(_) => Err(BackendError::msg("a claim on a voucher without a book")),
                    Err(refused) => Ok(Err(refused)),
                })
                .collect::<Result<Vec<_>, BackendError>>()?,
        };
        Ok(claims)
    }

    async fn claims_page(
        &self,
        of: ClaimsOf,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError> {
        let filtered = || {
            let q = voucher_claims::table
                .inner_join(vouchers::table.inner_join(books::table))
                .into_boxed();
            match of {
                ClaimsOf::User(u) => q.filter(voucher_claims::user_id.eq(u.0)),
                ClaimsOf::Voucher(v) => q.filter(voucher_claims::voucher_id.eq(v.0)),
            }
        };
        let ordered = match of {
            ClaimsOf::User(_) => {
                filtered().order((voucher_claims::claimed_at.desc(), voucher_claims::id.desc()))
            }
            ClaimsOf::Voucher(_) => filtered().order(voucher_claims::id.asc()),
        };
        let mut conn = self.conn().await?;
        page_of!(
            conn,
            page,
            ordered,
            [ClaimRow, BookRow],
            filtered(),
            |c, b| c.into_claim(b)
        )
    }
}

#[async_trait]
impl VoucherClaims for Store {
    async fn claim(
        &self,
        user: UserId,
        voucher: VoucherId,
        now: OffsetDateTime,
    ) -> Result<Claim, ClaimError> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(claim_once(&mut conn, user, voucher, secs(now)).await);
        match outcome {
            Ok(id) => Ok(claim_by_id(&mut conn, id).await?),
            Err(TxError::Rule(e)) => Err(e),
            Err(TxError::Db(e)) => Err(ClaimError::Backend(backend(e))),
        }
    }

    async fn claim_many(
        &self,
        users: &[UserId],
        voucher: VoucherId,
        now: OffsetDateTime,
    ) -> Vec<Result<Claim, ClaimError>> {
        match self.claim_batch(users, voucher, secs(now)).await {
            Ok(outcome) => outcome,
            Err(e) => vec![Err(ClaimError::Backend(e)); users.len()],
        }
    }

    async fn list_user_claims(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError> {
        self.claims_page(ClaimsOf::User(user), page).await
    }

    async fn list_voucher_claims(
        &self,
        voucher: VoucherId,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError> {
        self.claims_page(ClaimsOf::Voucher(voucher), page).await
    }

    async fn use_claim(
        &self,
        user: UserId,
        claim: ClaimId,
        now: OffsetDateTime,
    ) -> Result<Claim, UseClaimError> {
        let mut conn = self.conn().await?;
        redemptions::use_claim(&mut conn, user, claim, now).await
    }

    async fn redeem(
        &self,
        code: &RedemptionCode,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Claim, RedeemError> {
        let mut conn = self.conn().await?;
        redemptions::redeem(&mut conn, code, now, audit).await
    }
}
