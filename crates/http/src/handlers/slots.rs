//! Bookable slots of a date.

use super::Svc;
use crate::dto::DaySlotsBody;
use crate::extract::{authenticate_for_day, date, query};
use crate::problem::{ApiError, Problem};
use actix_web::{get, web, HttpRequest, HttpResponse};
use app::day_cache::DayCache;
use ports::DayTag;
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
    tag = "slots",
    params(("date" = String, Query, format = Date, description = "Calendar date YYYY-MM-DD in the service offset")),
    responses(
        (status = 200, description = "Bookable slots of the date with seats left, in order", body = DaySlotsBody),
        (status = 400, description = "Missing or invalid date", body = Problem),
        (status = 422, description = "date_outside_window: the date is wholly outside the booking window", body = Problem),
    )
)]
#[get("/exam-slots/available")]
pub async fn list_available_slots(
    svc: Svc,
    rendered: web::Data<RenderedDays>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // Authentication first (401 before 400), reading the date's availability tag in the same
    // round trip when the date parses.
    let date = DateQuery::parse(&req);
    let (_session, tag) = authenticate_for_day(&req, date.as_ref().ok().copied()).await?;
    let date = date?;
    let hour = svc.slots.window_hour();
    if let Some(body) = tag.and_then(|t| rendered.get(date, &(t, hour))) {
        return Ok(json_response(body));
    }
    let day = svc.slots.available(date, tag).await?;
    let body = web::Bytes::from(
        serde_json::to_vec(&DaySlotsBody::from(day))
            .map_err(|e| ApiError::App(ports::BackendError::new(e).into()))?,
    );
    if let Some(t) = tag {
        rendered.put(date, (t, hour), body.clone());
    }
    Ok(json_response(body))
}

fn json_response(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// Availability answers already rendered as JSON, per date, labelled with the date's counter
/// tag and the service hour (the slot list behind an answer and the booking window's cut are
/// then the same): rendering 24 slots with their times costs more than everything else in the
/// request.
pub type RenderedDays = DayCache<(DayTag, i64), web::Bytes>;
