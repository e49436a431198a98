//! The caller's own reservations.

use super::Svc;
use crate::dto::{
    IdempotencyKeyHeader, NewReservationBody, PageBody, ReservationBody, ReservationPatchBody,
};
use crate::extract::{id, query, Authenticated, JsonBody, PageQuery};
use crate::idempotent;
use crate::problem::{ApiError, Problem};
use actix_web::{web, HttpRequest, HttpResponse};
use domain::ReservationId;

#[utoipa::path(
    post, path = "/api/v1/reservations", tag = "reservations",
    security(("bearer" = [])),
    request_body = NewReservationBody,
    params(IdempotencyKeyHeader),
    responses(
        (status = 201, description = "The pending reservation (a replay carries `Idempotent-Replayed: true`)", body = ReservationBody),
        (status = 400, description = "Malformed body (bad JSON, types, times without offset, unknown fields) or Idempotency-Key", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 409, description = "A covered slot is missing or has fewer seats left than asked, or idempotency_key_in_progress", body = Problem),
        (status = 422, description = "Breaks a rule: alignment, order, window, seat range; or idempotency_key_reused", body = Problem),
    )
)]
pub async fn create(
    svc: Svc,
    who: Authenticated,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let fingerprint = idempotent::fingerprint(&req, body.bytes());
    let b: NewReservationBody = body.parse()?;
    let actor = who.actor();
    let work = async |key: Option<app::IdempotencyKey>| {
        let r = svc
            .reservations
            .create(&actor, b.starts_at, b.ends_at, b.seats, key.as_ref())
            .await?;
        Ok(HttpResponse::Created().json(ReservationBody::from(r)))
    };
    // The reservation an earlier request with the key made, as it is now.
    let made = async |id: i64| {
        let r = svc.reservations.get_own(&actor, ReservationId(id)).await?;
        Ok(HttpResponse::Created().json(ReservationBody::from(r)))
    };
    idempotent::once(&svc, &req, actor.user_id, fingerprint, work, made).await
}

#[utoipa::path(
    get, path = "/api/v1/reservations", tag = "reservations",
    security(("bearer" = [])),
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "Page number, 1..=1000000 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Items per page, 1..=200 (default 50)"),
    ),
    responses(
        (status = 200, description = "Own reservations, newest first", body = PageBody<ReservationBody>),
        (status = 400, description = "Bad paging parameters", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
    )
)]
pub async fn list(
    svc: Svc,
    who: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let list = svc.reservations.list_own(&who.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<ReservationBody>::from_page(list)))
}

#[utoipa::path(
    get, path = "/api/v1/reservations/{id}", tag = "reservations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "The reservation", body = ReservationBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 404, description = "Unknown, or someone else's", body = Problem),
    )
)]
pub async fn get(
    svc: Svc,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = svc
        .reservations
        .get_own(&who.actor(), ReservationId(id(&path)?))
        .await?;
    Ok(HttpResponse::Ok().json(ReservationBody::from(r)))
}

#[utoipa::path(
    patch, path = "/api/v1/reservations/{id}", tag = "reservations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reservation id")),
    request_body = ReservationPatchBody,
    responses(
        (status = 200, description = "The edited reservation (absent fields keep their value)", body = ReservationBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 404, description = "Unknown, or someone else's", body = Problem),
        (status = 409, description = "Not pending any more, or no room", body = Problem),
        (status = 422, description = "Breaks a rule", body = Problem),
        (status = 503, description = "The reservation is busy; retry", body = Problem),
    )
)]
pub async fn update(
    svc: Svc,
    who: Authenticated,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let rid = ReservationId(id(&path)?);
    let patch: ReservationPatchBody = body.parse()?;
    let r = svc
        .reservations
        .edit_own(&who.actor(), rid, patch.into())
        .await?;
    Ok(HttpResponse::Ok().json(ReservationBody::from(r)))
}

#[utoipa::path(
    delete, path = "/api/v1/reservations/{id}", tag = "reservations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 400, description = "Bad id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 404, description = "Unknown, or someone else's", body = Problem),
        (status = 409, description = "Not pending (only admins cancel confirmed ones), or already cancelled", body = Problem),
        (status = 503, description = "The reservation is busy; retry", body = Problem),
    )
)]
pub async fn cancel(
    svc: Svc,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.reservations
        .cancel_own(&who.actor(), ReservationId(id(&path)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
