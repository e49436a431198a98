//! Every slot of a date, and switching hours between booking modes, for admins.

use super::slots::DateQuery;
use super::Svc;
use crate::dto::{DaySlotsBody, SlotModeBody, SlotModeChangedBody};
use crate::extract::{Admin, JsonBody};
use crate::problem::{ApiError, Problem};
use actix_web::{get, patch, HttpRequest, HttpResponse};

#[utoipa::path(
    tag = "admin",
    params(("date" = String, Query, format = Date, description = "Calendar date YYYY-MM-DD in the service offset")),
    responses(
        (status = 200, description = "Every slot of the date, full and past ones included", body = DaySlotsBody),
        (status = 400, description = "Missing or invalid date", body = Problem),
    )
)]
#[get("/admin/exam-slots")]
pub async fn admin_list_exam_slots(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let day = svc
        .slots
        .all_of_day(&admin.actor(), DateQuery::parse(&req)?)
        .await?;
    Ok(HttpResponse::Ok().json(DaySlotsBody::from(day)))
}

#[utoipa::path(
    tag = "admin",
    request_body = SlotModeBody,
    responses(
        (status = 200, description = "The hours starting at or after `from` and before `to` now book this way; `updated` counts those that changed. Reservations are not changed; the change is in the audit trail", body = SlotModeChangedBody),
        (status = 400, description = "Malformed body (bad JSON, types, times without offset, unknown fields)", body = Problem),
        (status = 422, description = "invalid_time_range: `from` is not before `to`", body = Problem),
    )
)]
#[patch("/admin/exam-slots")]
pub async fn admin_set_booking_mode(
    svc: Svc,
    admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let b: SlotModeBody = body.parse()?;
    let updated = svc
        .booking_modes
        .set(&admin.actor(), b.from, b.to, b.booking_mode.into())
        .await?;
    Ok(HttpResponse::Ok().json(SlotModeChangedBody { updated }))
}
