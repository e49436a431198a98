//! Bookable slots of a date.

use super::Svc;
use crate::dto::DaySlotsBody;
use crate::extract::{authenticate_for_day, date, query};
use crate::problem::{ApiError, Problem};
use actix_web::{web, HttpRequest, HttpResponse};
use ports::DayTag;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    params(("date" = String, Query, format = Date, description = "Calendar date YYYY-MM-DD in the service offset")),
    responses(
        (status = 200, description = "Bookable slots of the date with seats left, in order", body = DaySlotsBody),
        (status = 400, description = "Missing or invalid date", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 422, description = "The date is wholly outside the booking window", body = Problem),
    )
)]
pub async fn available(
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
    if let Some(body) = tag.and_then(|t| rendered.get(date, t, hour)) {
        return Ok(json_response(body));
    }
    let day = svc.slots.available(date, tag).await?;
    let body = web::Bytes::from(
        serde_json::to_vec(&DaySlotsBody::from(day))
            .map_err(|e| ApiError::App(ports::BackendError::new(e).into()))?,
    );
    if let Some(t) = tag {
        rendered.put(date, t, hour, body.clone());
    }
    Ok(json_response(body))
}

fn json_response(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// Availability answers already rendered as JSON, per date. One is served again while the
/// date's counter tag and the service hour are the same as when it was made (the slot list
/// behind it is then the same, and so is the booking window's cut), for at most the same few
/// seconds `SlotService` trusts its copy: rendering 24 slots with their times costs more than
/// everything else in the request.
#[derive(Debug, Default)]
pub struct RenderedDays(Mutex<HashMap<time::Date, Rendered>>);

#[derive(Debug)]
struct Rendered {
    tag: DayTag,
    hour: i64,
    made: Instant,
    body: web::Bytes,
}

/// As `SlotService`'s own copies.
const RENDERED_MAX_AGE: Duration = Duration::from_secs(5);
const MAX_RENDERED: usize = 512;

impl RenderedDays {
    fn get(&self, date: time::Date, tag: DayTag, hour: i64) -> Option<web::Bytes> {
        let days = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        days.get(&date)
            .filter(|r| r.tag == tag && r.hour == hour && r.made.elapsed() < RENDERED_MAX_AGE)
            .map(|r| r.body.clone())
    }

    fn put(&self, date: time::Date, tag: DayTag, hour: i64, body: web::Bytes) {
        let mut days = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if days.len() >= MAX_RENDERED {
            days.clear();
        }
        let made = Instant::now();
        days.insert(
            date,
            Rendered {
                tag,
                hour,
                made,
                body,
            },
        );
    }
}
