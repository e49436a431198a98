//! `VoucherRepository`: a claim is all or nothing (one statement on PostgreSQL, a transaction
//! on SQLite): a unique claim per user and a guarded decrement of `remaining`.

use super::{audit, dialect, Db, Store};
use crate::errors::{
    backend, is_division_by_zero, is_foreign_key_violation, is_unique_violation, retry_tx, TxError,
};
use crate::rows::{into_page, readable, secs, BookRow, ClaimRow, VoucherRow};
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
    Ok(match row {
        None => ClaimError::NotFound,
        Some(v) if v.closed || v.closes_at.is_some_and(|c| c <= now) => ClaimError::Closed,
        Some(v) if v.opens_at.is_some_and(|o| o > now) => ClaimError::NotOpenYet,
        Some(_) => ClaimError::SoldOut,
    })
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

/// Whose claims to list: a user's (newest first) or a voucher's (oldest first).
#[derive(Clone, Copy)]
enum ClaimsOf {
    User(UserId),
    Voucher(VoucherId),
}

impl Store {
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
