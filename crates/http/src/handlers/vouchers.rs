//! The voucher drop: the public event list, claims, and the caller's own vouchers.

use super::Svc;
use crate::dto::{ClaimBody, EventBody, EventsBody, IdempotencyKeyHeader, PageBody};
use crate::extract::{bearer, id, query, Authenticated, PageQuery};
use crate::idempotent;
use crate::problem::{ApiError, Problem};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use app::{AppError, Conflict};
use domain::voucher::{ClaimId, VoucherId};

#[utoipa::path(
    tag = "vouchers",
    responses((status = 200, description = "The event page's vouchers: active, something left, open now or opening later (see opens_at)", body = EventsBody))
)]
#[get("/events")]
pub async fn list_live_vouchers(svc: Svc) -> Result<HttpResponse, ApiError> {
    let items = svc.vouchers.live().await?;
    Ok(HttpResponse::Ok().json(EventsBody {
        items: items.into_iter().map(EventBody::from).collect(),
    }))
}

#[utoipa::path(
    tag = "vouchers",
    params(("voucher_id" = i64, Path, description = "Voucher id"), IdempotencyKeyHeader),
    responses(
        (status = 201, description = "The claim, with its own redemption code (a replay carries `Idempotent-Replayed: true`)", body = ClaimBody),
        (status = 400, description = "Bad id or Idempotency-Key", body = Problem),
        (status = 404, description = "No such voucher", body = Problem),
        (status = 409, description = "already_claimed, sold_out (once sold out, every press, the claimer's own included), or idempotency_key_in_progress", body = Problem),
        (status = 422, description = "not_open_yet, voucher_closed, or idempotency_key_reused", body = Problem),
    )
)]
#[post("/events/{voucher_id}/claim")]
pub async fn claim_voucher(
    svc: Svc,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // During a drop almost every press comes after the last unit went. Once this process knows
    // the voucher is sold out, a press with a well-signed token is answered at once, touching
    // neither Redis nor the database: the answer reveals nothing and changes nothing. A keyed
    // press goes the whole way, so that a retry of a successful claim replays it.
    let token = bearer(&req)?;
    svc.auth.check_signature(&token)?;
    let voucher = VoucherId(id(&path)?);
    let keyed = req.headers().contains_key(idempotent::HEADER);
    if !keyed && svc.vouchers.known_sold_out(voucher) {
        return Err(AppError::Conflict(Conflict::SoldOut).into());
    }
    let session = svc.auth.authenticate(&token).await?;
    let actor = session.actor();
    let fingerprint = idempotent::fingerprint(&req, None);
    let work = async |_key| {
        let c = svc.vouchers.claim(&actor, voucher).await?;
        Ok(HttpResponse::Created().json(ClaimBody::from(c)))
    };
    // Claims are not linked to their keys (see `idempotent`): nothing is ever found made.
    let made = async |_id| -> Result<HttpResponse, ApiError> {
        Err(AppError::Backend(ports::BackendError::msg("claims are not linked to keys")).into())
    };
    idempotent::once(&svc, &req, actor.user_id, fingerprint, work, made).await
}

#[utoipa::path(
    tag = "vouchers",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Own claims, newest first", body = PageBody<ClaimBody>),
        (status = 400, description = "Bad paging parameters", body = Problem),
    )
)]
#[get("/users/me/vouchers")]
pub async fn list_own_claims(
    svc: Svc,
    who: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let claims = svc.vouchers.my_claims(&who.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<ClaimBody>::from_page(claims)))
}

#[utoipa::path(
    tag = "vouchers",
    params(("claim_id" = i64, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The claim with used_at set", body = ClaimBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "Unknown, or someone else's", body = Problem),
        (status = 409, description = "already_used: the claim was used before", body = Problem),
    )
)]
#[post("/users/me/vouchers/{claim_id}/use")]
pub async fn use_own_claim(
    svc: Svc,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let c = svc
        .vouchers
        .use_claim(&who.actor(), ClaimId(id(&path)?))
        .await?;
    Ok(HttpResponse::Ok().json(ClaimBody::from(c)))
}
