//! The caller's own reservations.

use super::Svc;
use crate::dto::{
    IdempotencyKeyHeader, NewReservationBody, PageBody, ReservationBody, ReservationPatchBody,
};
use crate::extract::{id, query, Authenticated, JsonBody, PageQuery};
use crate::idempotent;
use crate::problem::{ApiError, Problem};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::ReservationId;

#[utoipa::path(
    tag = "reservations",
    request_body = NewReservationBody,
    params(IdempotencyKeyHeader),
    responses(
        (status = 201, description = "The reservation: `pending` on approval hours; on first-come hours `confirmed`, or `waitlisted` with its `waitlist_position` (a replay carries `Idempotent-Replayed: true`)", body = ReservationBody),
        (status = 400, description = "Malformed body (bad JSON, types, times without offset, unknown fields) or Idempotency-Key", body = Problem),
        (status = 409, description = "insufficient_capacity or slot_missing: a covered slot has fewer seats left than asked (the detail names the first short hour), or none exists; idempotency_key_in_progress: a request with this key is still being answered", body = Problem),
        (status = 422, description = "invalid_time_range, outside_booking_window or invalid_seats: breaks a rule; mixed_booking_modes: the covered hours do not all book the same way; idempotency_key_reused: the key was used for another request", body = Problem),
    )
)]
#[post("/reservations")]
pub async fn create_reservation(
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
            .create(&actor, (&b).into(), key.as_ref())
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
    tag = "reservations",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Own reservations, newest first", body = PageBody<ReservationBody>),
        (status = 400, description = "Bad paging parameters", body = Problem),
    )
)]
#[get("/reservations")]
pub async fn list_own_reservations(
    svc: Svc,
    who: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let list = svc.reservations.list_own(&who.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<ReservationBody>::from_page(list)))
}

#[utoipa::path(
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "The reservation", body = ReservationBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "Unknown, or someone else's", body = Problem),
    )
)]
#[get("/reservations/{id}")]
pub async fn get_own_reservation(
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
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    request_body = ReservationPatchBody,
    responses(
        (status = 200, description = "The edited reservation (absent fields keep their value)", body = ReservationBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 404, description = "Unknown, or someone else's", body = Problem),
        (status = 409, description = "edit_requires_admin, already_cancelled or already_started: not pending any more; insufficient_capacity or slot_missing: no room", body = Problem),
        (status = 422, description = "invalid_time_range, outside_booking_window or invalid_seats: breaks a rule", body = Problem),
        (status = 503, description = "busy: another change of this reservation holds it; retry after Retry-After seconds", body = Problem),
    )
)]
#[patch("/reservations/{id}")]
pub async fn update_own_reservation(
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
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "Unknown, or someone else's", body = Problem),
        (status = 409, description = "cancel_requires_admin: not pending (only admins cancel confirmed ones); already_cancelled", body = Problem),
        (status = 503, description = "busy: another change of this reservation holds it; retry after Retry-After seconds", body = Problem),
    )
)]
#[delete("/reservations/{id}")]
pub async fn cancel_own_reservation(
    svc: Svc,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.reservations
        .cancel_own(&who.actor(), ReservationId(id(&path)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
