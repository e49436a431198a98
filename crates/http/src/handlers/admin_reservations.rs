//! Admin reservation management.

use super::Svc;
use crate::dto::{PageBody, ReservationBody, ReservationPatchBody, StatusBody};
use crate::extract::{date, id, query, Admin, JsonBody, PageQuery};
use crate::problem::{ApiError, Problem};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use app::AdminReservationQuery;
use domain::{ReservationId, ReservationStatus, UserId};
use ports::ReservationOrder;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct ListQuery {
    page: Option<i64>,
    per_page: Option<i64>,
    status: Option<String>,
    user_id: Option<i64>,
    date: Option<String>,
    order: Option<String>,
}

/// `?order=` of the admin list.
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the accepted values; the handler parses the text"
)]
enum OrderParam {
    #[schema(rename = "newest")]
    Newest,
    #[schema(rename = "oldest")]
    Oldest,
}

fn order(text: Option<&str>) -> Result<ReservationOrder, ApiError> {
    match text {
        None | Some("newest") => Ok(ReservationOrder::NewestFirst),
        Some("oldest") => Ok(ReservationOrder::OldestFirst),
        Some(other) => Err(ApiError::Malformed(format!(
            "unknown order '{other}': use newest or oldest"
        ))),
    }
}

#[utoipa::path(
    tag = "admin",
    params(
        ("status" = Option<StatusBody>, Query, description = "pending, confirmed, cancelled, waitlisted or expired"),
        ("user_id" = Option<i64>, Query, description = "Owner id"),
        ("date" = Option<String>, Query, format = Date, description = "YYYY-MM-DD: reservations overlapping that date"),
        ("order" = inline(Option<OrderParam>), Query, description = "newest (default): newest first; oldest: oldest first, as a queue (by creation time, then id)"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "Reservations, newest first unless order=oldest", body = PageBody<ReservationBody>),
        (status = 400, description = "Bad filter or paging parameters", body = Problem),
    )
)]
#[get("/admin/reservations")]
pub async fn admin_list_reservations(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q: ListQuery = query(&req)?;
    let page = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .request()?;
    let status = q
        .status
        .map(|s| {
            ReservationStatus::parse(&s)
                .ok_or_else(|| ApiError::Malformed(format!("unknown status '{s}'")))
        })
        .transpose()?;
    let filter = AdminReservationQuery {
        status,
        user_id: q.user_id.map(UserId),
        date: q.date.as_deref().map(date).transpose()?,
        order: order(q.order.as_deref())?,
    };
    let list = svc
        .reservations
        .admin_list(&admin.actor(), filter, page)
        .await?;
    Ok(HttpResponse::Ok().json(PageBody::<ReservationBody>::from_page(list)))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "The reservation", body = ReservationBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
    )
)]
#[get("/admin/reservations/{id}")]
pub async fn admin_get_reservation(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = svc
        .reservations
        .admin_get(&admin.actor(), ReservationId(id(&path)?))
        .await?;
    Ok(HttpResponse::Ok().json(ReservationBody::from(r)))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Reservation id")),
    request_body = ReservationPatchBody,
    responses(
        (status = 200, description = "The edited reservation; a confirmed one moved its seats atomically", body = ReservationBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
        (status = 409, description = "already_cancelled, already_started, insufficient_capacity or slot_missing: cancelled, started, or no room in the new range", body = Problem),
        (status = 422, description = "invalid_time_range, outside_booking_window or invalid_seats: breaks a creation rule", body = Problem),
        (status = 503, description = "busy: another change of this reservation holds it; retry after Retry-After seconds", body = Problem),
    )
)]
#[patch("/admin/reservations/{id}")]
pub async fn admin_update_reservation(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let rid = ReservationId(id(&path)?);
    let patch: ReservationPatchBody = body.parse()?;
    let r = svc
        .reservations
        .admin_edit(&admin.actor(), rid, patch.into())
        .await?;
    Ok(HttpResponse::Ok().json(ReservationBody::from(r)))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 204, description = "Cancelled; confirmed seats freed"),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
        (status = 409, description = "already_cancelled", body = Problem),
        (status = 503, description = "busy: another change of this reservation holds it; retry after Retry-After seconds", body = Problem),
    )
)]
#[delete("/admin/reservations/{id}")]
pub async fn admin_cancel_reservation(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.reservations
        .admin_cancel(&admin.actor(), ReservationId(id(&path)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "The confirmed reservation", body = ReservationBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
        (status = 409, description = "insufficient_capacity or slot_missing: not enough room; already_confirmed, already_cancelled or already_started: not pending any more", body = Problem),
    )
)]
#[post("/admin/reservations/{id}/confirm")]
pub async fn admin_confirm_reservation(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = svc
        .reservations
        .confirm(&admin.actor(), ReservationId(id(&path)?))
        .await?;
    Ok(HttpResponse::Ok().json(ReservationBody::from(r)))
}
