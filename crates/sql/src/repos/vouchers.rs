//! `VoucherRepository`: a claim is all or nothing (one statement on PostgreSQL, a transaction
//! on SQLite): a unique claim per user and a guarded decrement of `remaining`.

use super::{audit, dialect, Db, Store};
use crate::errors::{
    backend, is_division_by_zero, is_foreign_key_violation, is_transient, is_unique_violation,
    retry_tx, TxError, ATTEMPTS,
};
use crate::rows::{into_page, readable, secs, BatchClaimRow, BookRow, ClaimRow, VoucherRow};
use crate::schema::{books, voucher_claims, vouchers};
use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::voucher::{Book, BookDraft, Claim, ClaimId, Voucher, VoucherId};
use domain::{Page, PageRequest, RedemptionCode, UserId};
use ports::{
    BackendError, ClaimError, CreateVoucherError, NewVoucher, RedeemError, UpdateVoucherError,
    UseClaimError, VoucherChanges, VoucherRepository,
};
use time::OffsetDateTime;

type Joined = (VoucherRow, BookRow);

async fn voucher_by_id(conn: &mut Db, id: VoucherId) -> Result<Option<Voucher>, BackendError> {
    vouchers::table
        .inner_join(books::table)
        .filter(vouchers::id.eq(id.0))
        .select((VoucherRow::as_select(), BookRow::as_select()))
        .first::<Joined>(conn)
        .await
        .optional()
        .map_err(backend)?
        .map(|(v, b)| v.into_voucher(b))
        .transpose()
}

async fn claim_by_id(conn: &mut Db, id: i64) -> Result<Claim, BackendError> {
    let (c, b): (ClaimRow, BookRow) = voucher_claims::table
        .inner_join(vouchers::table.inner_join(books::table))
        .filter(voucher_claims::id.eq(id))
        .select((ClaimRow::as_select(), BookRow::as_select()))
        .first(conn)
        .await
        .map_err(backend)?;
    c.into_claim(b)
}

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
        dialect::claim_in_one_statement(conn, user.0, voucher.0, now, code.clone()).await
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
    let rows = dialect::claim_batch_at_once(conn, ids, codes.clone(), voucher.0, now).await?;
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
        let rows: Vec<(ClaimRow, BookRow, i64)> = ordered
            .select((
                ClaimRow::as_select(),
                BookRow::as_select(),
                sql::<BigInt>("COUNT(*) OVER ()"),
            ))
            .limit(i64::from(page.per_page()))
            .offset(page.offset() as i64)
            .load(&mut conn)
            .await
            .map_err(backend)?;
        into_page(
            rows,
            page,
            |r| r.2,
            || filtered().count().get_result(&mut conn),
            |(c, b, _)| c.into_claim(b),
        )
        .await
    }
}

#[async_trait]
impl VoucherRepository for Store {
    async fn create_book(
        &self,
        book: BookDraft,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Book, BackendError> {
        let mut conn = self.conn().await?;
        let now = secs(now);
        let row: BookRow = conn
            .transaction(async |conn| {
                let row: BookRow = diesel::insert_into(books::table)
                    .values((
                        books::title.eq(&book.title),
                        books::author.eq(&book.author),
                        books::cover_url.eq(&book.cover_url),
                        books::created_at.eq(now),
                    ))
                    .returning(BookRow::as_returning())
                    .get_result(conn)
                    .await?;
                audit::write(conn, &audit, row.id).await?;
                diesel::QueryResult::Ok(row)
            })
            .await
            .map_err(backend)?;
        row.into_book()
    }

    async fn list_books(&self, page: PageRequest) -> Result<Page<Book>, BackendError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(BookRow, i64)> = books::table
            .select((BookRow::as_select(), sql::<BigInt>("COUNT(*) OVER ()")))
            .order(books::id.asc())
            .limit(i64::from(page.per_page()))
            .offset(page.offset() as i64)
            .load(&mut conn)
            .await
            .map_err(backend)?;
        into_page(
            rows,
            page,
            |r| r.1,
            || books::table.count().get_result(&mut conn),
            |(b, _)| b.into_book(),
        )
        .await
    }

    async fn create_voucher(
        &self,
        new: NewVoucher,
        audit: AuditNote,
    ) -> Result<Voucher, CreateVoucherError> {
        let mut conn = self.conn().await?;
        let quantity = new.quantity.get() as i32;
        let now = secs(new.now);
        let id: i64 = conn
            .transaction(async |conn| {
                let id: i64 = diesel::insert_into(vouchers::table)
                    .values((
                        vouchers::book_id.eq(new.book_id.0),
                        vouchers::code.eq(new.code.as_str()),
                        vouchers::quantity.eq(quantity),
                        vouchers::remaining.eq(quantity),
                        vouchers::opens_at.eq(new.window.opens_at.map(secs)),
                        vouchers::closes_at.eq(new.window.closes_at.map(secs)),
                        vouchers::created_at.eq(now),
                    ))
                    .returning(vouchers::id)
                    .get_result(conn)
                    .await?;
                audit::write(conn, &audit, id).await?;
                diesel::QueryResult::Ok(id)
            })
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    CreateVoucherError::DuplicateCode
                } else if is_foreign_key_violation(&e) {
                    CreateVoucherError::BookNotFound
                } else {
                    CreateVoucherError::Backend(backend(e))
                }
            })?;
        voucher_by_id(&mut conn, VoucherId(id))
            .await?
            .ok_or_else(|| BackendError::msg("a voucher vanished right after insert").into())
    }

    async fn get_voucher(&self, id: VoucherId) -> Result<Option<Voucher>, BackendError> {
        let mut conn = self.conn().await?;
        voucher_by_id(&mut conn, id).await
    }

    async fn list_vouchers(&self, page: PageRequest) -> Result<Page<Voucher>, BackendError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(VoucherRow, BookRow, i64)> = vouchers::table
            .inner_join(books::table)
            .select((
                VoucherRow::as_select(),
                BookRow::as_select(),
                sql::<BigInt>("COUNT(*) OVER ()"),
            ))
            .order((vouchers::created_at.desc(), vouchers::id.desc()))
            .limit(i64::from(page.per_page()))
            .offset(page.offset() as i64)
            .load(&mut conn)
            .await
            .map_err(backend)?;
        into_page(
            rows,
            page,
            |r| r.2,
            || vouchers::table.count().get_result(&mut conn),
            |(v, b, _)| v.into_voucher(b),
        )
        .await
    }

    async fn list_live(&self, now: OffsetDateTime) -> Result<Vec<Voucher>, BackendError> {
        let now = secs(now);
        let mut conn = self.conn().await?;
        vouchers::table
            .inner_join(books::table)
            .filter(vouchers::closed.eq(false))
            .filter(vouchers::remaining.gt(0))
            // Upcoming ones too: the page counts down to their opening.
            .filter(
                vouchers::closes_at
                    .is_null()
                    .or(vouchers::closes_at.gt(now)),
            )
            .order(vouchers::id.asc())
            .select((VoucherRow::as_select(), BookRow::as_select()))
            .load::<Joined>(&mut conn)
            .await
            .map_err(backend)
            .map(|rows| readable(rows.into_iter().map(|(v, b)| v.into_voucher(b))))
    }

    async fn update_voucher(
        &self,
        id: VoucherId,
        changes: VoucherChanges,
        audit: AuditNote,
    ) -> Result<Voucher, UpdateVoucherError> {
        let mut conn = self.conn().await?;
        let quantity = changes.quantity.map(|q| q.get() as i32);
        let window = changes.window;
        let changed = conn
            .transaction(async |conn| {
                let mut update = diesel::update(vouchers::table)
                    .filter(vouchers::id.eq(id.0))
                    .into_boxed();
                if let Some(q) = quantity {
                    // Never shrink, whatever happened since the caller read the voucher.
                    update = update.filter(vouchers::quantity.le(q));
                }
                let changed = update
                    .set((
                        // SET reads the old row on every side, so remaining grows by the
                        // difference.
                        quantity.map(|q| {
                            vouchers::remaining.eq(vouchers::remaining + q - vouchers::quantity)
                        }),
                        quantity.map(|q| vouchers::quantity.eq(q)),
                        changes.closed.map(|c| vouchers::closed.eq(c)),
                        window.map(|w| vouchers::opens_at.eq(w.opens_at.map(secs))),
                        window.map(|w| vouchers::closes_at.eq(w.closes_at.map(secs))),
                    ))
                    .execute(conn)
                    .await?;
                if changed > 0 {
                    audit::write(conn, &audit, id.0).await?;
                }
                diesel::QueryResult::Ok(changed)
            })
            .await
            .map_err(backend)?;
        let current = voucher_by_id(&mut conn, id).await?;
        match (changed, current) {
            (_, None) => Err(UpdateVoucherError::NotFound),
            (0, Some(v)) if quantity.is_some() => Err(UpdateVoucherError::QuantityShrinks {
                current: v.quantity,
            }),
            (_, Some(v)) => Ok(v),
        }
    }

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
        let used = diesel::update(voucher_claims::table)
            .filter(voucher_claims::id.eq(claim.0))
            .filter(voucher_claims::user_id.eq(user.0))
            .filter(voucher_claims::used_at.is_null())
            .set(voucher_claims::used_at.eq(secs(now)))
            .execute(&mut conn)
            .await
            .map_err(backend)?;
        if used == 0 {
            let owned: Option<Option<i64>> = voucher_claims::table
                .filter(voucher_claims::id.eq(claim.0))
                .filter(voucher_claims::user_id.eq(user.0))
                .select(voucher_claims::used_at)
                .first(&mut conn)
                .await
                .optional()
                .map_err(backend)?;
            return Err(match owned {
                None => UseClaimError::NotFound,
                Some(_) => UseClaimError::AlreadyUsed,
            });
        }
        Ok(claim_by_id(&mut conn, claim.0).await?)
    }

    async fn redeem(
        &self,
        code: &RedemptionCode,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Claim, RedeemError> {
        let mut conn = self.conn().await?;
        let now = secs(now);
        let redeemed: Option<i64> = conn
            .transaction(async |conn| {
                let id: Option<i64> = diesel::update(voucher_claims::table)
                    .filter(voucher_claims::redemption_code.eq(code.as_str()))
                    .filter(voucher_claims::used_at.is_null())
                    .set(voucher_claims::used_at.eq(now))
                    .returning(voucher_claims::id)
                    .get_result(conn)
                    .await
                    .optional()?;
                if let Some(id) = id {
                    audit::write(conn, &audit, id).await?;
                }
                diesel::QueryResult::Ok(id)
            })
            .await
            .map_err(backend)?;
        if let Some(id) = redeemed {
            return Ok(claim_by_id(&mut conn, id).await?);
        }
        let used: Option<Option<i64>> = voucher_claims::table
            .filter(voucher_claims::redemption_code.eq(code.as_str()))
            .select(voucher_claims::used_at)
            .first(&mut conn)
            .await
            .optional()
            .map_err(backend)?;
        match used {
            Some(Some(at)) => Err(RedeemError::AlreadyUsed {
                used_at: crate::rows::instant(at)?,
            }),
            // No claim has this code (`used_at` is never cleared, so an unused code the update
            // missed cannot exist).
            _ => Err(RedeemError::NotFound),
        }
    }
}
