//! Bookable slots of a date.

use super::Svc;
use crate::dto::DaySlotsBody;
use crate::extract::{authenticate_for_day, date, query};
use crate::problem::{ApiError, Problem};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    pub date: Option<String>,
}

impl DateQuery {
    pub fn parse(req: &HttpRequest) -> Result<time::Date, ApiError> {
        let q: DateQuery = query(req)?;
        let raw = q
            .date
            .ok_or_else(|| ApiError::Malformed("the 'date' query parameter is required".into()))?;
        date(&raw)
    }
}

#[utoipa::path(
    get, path = "/api/v1/exam-slots/available", tag = "slots",
    security(("bearer" = [])),
    params(("date" = String, Query, description = "Calendar date YYYY-MM-DD in the service offset")),
    responses(
        (status = 200, description = "Bookable slots of the date with seats left, in order", body = DaySlotsBody),
        (status = 400, description = "Missing or invalid date", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 422, description = "The date is wholly outside the booking window", body = Problem),
    )
)]
pub async fn available(svc: Svc, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    // Authentication first (401 before 400), reading the date's availability tag in the same
    // round trip when the date parses.
    let date = DateQuery::parse(&req);
    let (_session, tag) = authenticate_for_day(&req, date.as_ref().ok().copied()).await?;
    let day = svc.slots.available(date?, tag).await?;
    Ok(HttpResponse::Ok().json(DaySlotsBody::from(day)))
}
