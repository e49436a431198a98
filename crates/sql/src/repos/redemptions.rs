//! A claim used once: by its claimer (`use_claim`), or by a shop with its redemption code
//! (`redeem`, audited). The update is guarded on `used_at IS NULL`, so a code works once.

use super::{audit, Db};
use crate::errors::backend;
use crate::rows::secs;
use crate::rows::{BookRow, ClaimRow};
use crate::schema::{books, voucher_claims, vouchers};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::voucher::{Claim, ClaimId};
use domain::{RedemptionCode, UserId};
use ports::{BackendError, RedeemError, UseClaimError};
use time::OffsetDateTime;

/// A claim with its book, by id.
pub(super) async fn claim_by_id(conn: &mut Db, id: i64) -> Result<Claim, BackendError> {
    let (c, b): (ClaimRow, BookRow) = voucher_claims::table
        .inner_join(vouchers::table.inner_join(books::table))
        .filter(voucher_claims::id.eq(id))
        .select((ClaimRow::as_select(), BookRow::as_select()))
        .first(conn)
        .await
        .map_err(backend)?;
    c.into_claim(b)
}

/// Sets `used_at` once, on a claim of `user`'s.
pub(super) async fn use_claim(
    conn: &mut Db,
    user: UserId,
    claim: ClaimId,
    now: OffsetDateTime,
) -> Result<Claim, UseClaimError> {
    let used = diesel::update(voucher_claims::table)
        .filter(voucher_claims::id.eq(claim.0))
        .filter(voucher_claims::user_id.eq(user.0))
        .filter(voucher_claims::used_at.is_null())
        .set(voucher_claims::used_at.eq(secs(now)))
        .execute(conn)
        .await
        .map_err(backend)?;
    if used == 0 {
        let owned: Option<Option<i64>> = voucher_claims::table
            .filter(voucher_claims::id.eq(claim.0))
            .filter(voucher_claims::user_id.eq(user.0))
            .select(voucher_claims::used_at)
            .first(conn)
            .await
            .optional()
            .map_err(backend)?;
        return Err(match owned {
            None => UseClaimError::NotFound,
            Some(_) => UseClaimError::AlreadyUsed,
        });
    }
    Ok(claim_by_id(conn, claim.0).await?)
}

/// Sets `used_at` once on the claim with `code`, with the audit note in the same transaction.
pub(super) async fn redeem(
    conn: &mut Db,
    code: &RedemptionCode,
    now: OffsetDateTime,
    audit: AuditNote,
) -> Result<Claim, RedeemError> {
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
        return Ok(claim_by_id(conn, id).await?);
    }
    let used: Option<Option<i64>> = voucher_claims::table
        .filter(voucher_claims::redemption_code.eq(code.as_str()))
        .select(voucher_claims::used_at)
        .first(conn)
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
