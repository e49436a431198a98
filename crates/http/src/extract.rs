//! Request parsing in the order the API promises: authentication, role, then input.
//!
//! Authentication runs as an extractor that completes before the handler body starts; path ids,
//! queries and JSON bodies are parsed inside handlers afterwards, so a bad body from an
//! anonymous caller is a 401, not a 400.

use crate::problem::ApiError;
use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};
use app::{AuthService, Services, Session};
use domain::{Actor, PageRequest};
use ports::DayTag;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;

/// Any logged-in user.
#[derive(Debug)]
pub struct Authenticated(pub Session);

/// A logged-in admin.
#[derive(Debug)]
pub struct Admin(pub Session);

impl Authenticated {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl Admin {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::MissingToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::MissingToken);
    }
    Ok(token.trim().to_owned())
}

async fn authenticate(req: HttpRequest) -> Result<Session, ApiError> {
    Ok(authenticate_for_day(&req, None).await?.0)
}

/// Authenticates the request and, in the same round trip to the shared cache, reads the
/// availability tag of `day`.
pub async fn authenticate_for_day(
    req: &HttpRequest,
    day: Option<time::Date>,
) -> Result<(Session, Option<DayTag>), ApiError> {
    let token = bearer(req)?;
    let services = req
        .app_data::<web::Data<Services>>()
        .ok_or_else(|| ApiError::Malformed("service not configured".into()))?;
    Ok(services.auth.authenticate_for_day(&token, day).await?)
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Authenticated) })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = authenticate(req).await?;
            AuthService::require_admin(&session.actor())?;
            Ok(Admin(session))
        })
    }
}

/// Parses a JSON body; any shape or type problem is a 400 with serde's description.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::Malformed(
            "a JSON request body is required".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Malformed(format!("invalid JSON body: {e}")))
}

/// Parses a numeric path id.
pub fn id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::Malformed(format!("'{raw}' is not a valid id")))
}

/// Parses the query string into `T`.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::Malformed(format!("invalid query string: {e}")))
}

/// `?page=&per_page=` with the documented defaults.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl PageQuery {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        PageRequest::new(
            self.page.unwrap_or(1),
            self.per_page
                .unwrap_or(i64::from(PageRequest::DEFAULT_PER_PAGE)),
        )
        .map_err(|e| ApiError::Malformed(e.to_string()))
    }
}

/// Parses `YYYY-MM-DD`; impossible dates such as 2026-02-30 are malformed.
pub fn date(raw: &str) -> Result<time::Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw, &format)
        .map_err(|_| ApiError::Malformed(format!("'{raw}' is not a valid YYYY-MM-DD date")))
}
