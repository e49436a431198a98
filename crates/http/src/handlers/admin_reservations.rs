//! Admin reservation management.

use super::Svc;
use crate::dto::{PageBody, ReservationBody, ReservationPatchBody, StatusBody};
use crate::extract::{date, id, query, Admin, JsonBody, PageQuery};
use crate::problem::{ApiError, Problem};
use actix_web::{web, HttpRequest, HttpResponse};
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
    get, path = "/api/v1/admin/reservations", tag = "admin",
    security(("bearer" = [])),
    params(
        ("status" = Option<StatusBody>, Query, description = "pending, confirmed or cancelled"),
        ("user_id" = Option<i64>, Query, description = "Owner id"),
        ("date" = Option<String>, Query, format = Date, description = "YYYY-MM-DD: reservations overlapping that date"),
        ("order" = inline(Option<OrderParam>), Query, description = "newest (default): newest first; oldest: oldest first, as a queue (by creation time, then id)"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "Page number, 1..=1000000 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Items per page, 1..=200 (default 50)"),
    ),
    responses(
        (status = 200, description = "Reservations, newest first unless order=oldest", body = PageBody<ReservationBody>),
        (status = 400, description = "Bad filter or paging parameters", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    )
)]
pub async fn list(svc: Svc, admin: Admin, req: HttpRequest) -> Result<HttpResponse, ApiError> {
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
    get, path = "/api/v1/admin/reservations/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "The reservation", body = ReservationBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
    )
)]
pub async fn get(
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
    patch, path = "/api/v1/admin/reservations/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reservation id")),
    request_body = ReservationPatchBody,
    responses(
        (status = 200, description = "The edited reservation; a confirmed one moved its seats atomically", body = ReservationBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
        (status = 409, description = "Cancelled, started, or no room in the new range", body = Problem),
        (status = 422, description = "Breaks a creation rule", body = Problem),
        (status = 503, description = "The reservation is busy; retry", body = Problem),
    )
)]
pub async fn update(
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
    delete, path = "/api/v1/admin/reservations/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 204, description = "Cancelled; confirmed seats freed"),
        (status = 400, description = "Bad id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
        (status = 409, description = "Already cancelled", body = Problem),
        (status = 503, description = "The reservation is busy; retry", body = Problem),
    )
)]
pub async fn cancel(
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
    post, path = "/api/v1/admin/reservations/{id}/confirm", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "The confirmed reservation", body = ReservationBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such reservation", body = Problem),
        (status = 409, description = "Not pending, started, or not enough room", body = Problem),
        (status = 503, description = "The reservation is busy; retry", body = Problem),
    )
)]
pub async fn confirm(
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
