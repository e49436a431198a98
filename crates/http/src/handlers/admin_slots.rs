//! Every slot of a date, for admins.

use super::slots::DateQuery;
use super::Svc;
use crate::dto::DaySlotsBody;
use crate::extract::Admin;
use crate::problem::{ApiError, Problem};
use actix_web::{get, HttpRequest, HttpResponse};

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
