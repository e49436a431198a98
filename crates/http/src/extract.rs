//! Request parsing in the order the API promises: authentication, role, then input.
//!
//! Authentication runs as an extractor that completes before the handler body starts; path ids,
//! queries and JSON bodies are parsed inside handlers afterwards, so a bad body from an
//! anonymous caller is a 401, not a 400.

use crate::problem::ApiError;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
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

/// The bearer token of the request.
pub fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
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
        .ok_or(ApiError::Internal(
            "the use cases are not registered with the app",
        ))?;
    let (mut session, tag) = services.auth.authenticate_for_day(&token, day).await?;
    session.actor.client = crate::client_addr::of(req);
    Ok((session, tag))
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

/// A JSON request body, read by the extractor but judged only when the handler parses it, after
/// authentication: a bad body from an anonymous caller is a 401, not a 400 or a 415.
#[derive(Debug)]
pub struct JsonBody(Result<web::Bytes, ApiError>);

impl JsonBody {
    /// Parses the body into `T`.
    ///
    /// # Errors
    /// 415 unless the body was declared as JSON; 413 when it was too large; 400 when it is
    /// empty, is not a JSON object, does not match `T`, or holds a NUL character in a string.
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        json(&self.0?)
    }

    /// The body's bytes, when it could be read.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.0.as_ref().ok().map(|b| b.as_ref())
    }
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = declared_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::Malformed(format!("the body could not be read: {e}"))
                }
            });
            Ok(JsonBody(bytes.and_then(|b| {
                // An empty body is "missing", whatever its declared type.
                if b.is_empty() || declared {
                    Ok(b)
                } else {
                    Err(ApiError::UnsupportedMediaType)
                }
            })))
        })
    }
}

/// `application/json` (any parameters, e.g. a charset) or any `application/*+json`.
fn declared_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// True when a JSON text holds a `\u0000` escape inside a string (a raw NUL byte is not valid
/// JSON at all). PostgreSQL cannot store NUL in text, and no field here has a use for it.
fn has_nul_escape(body: &[u8]) -> bool {
    body.windows(6).enumerate().any(|(at, w)| {
        // `\u0000` is an escaped backslash followed by text, not a NUL: count the backslashes.
        w == br"\u0000" && body[..at].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// Parses a JSON body; any shape or type problem is a 400 with serde's description.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => {
            return Err(ApiError::Malformed(
                "a JSON request body is required".into(),
            ))
        }
        // serde's derived structs would also accept an array of the fields in order.
        Some(b) if *b != b'{' => {
            return Err(ApiError::Malformed(
                "the JSON body must be an object".into(),
            ))
        }
        Some(_) => {}
    }
    if has_nul_escape(body) {
        return Err(ApiError::Malformed(
            "strings must not contain the NUL character (\\u0000)".into(),
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

/// The paging parameters as the document states them, from the domain's bounds.
impl utoipa::IntoParams for PageQuery {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        let param = |name: &str, max: u32, description: String| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Int64,
                        )))
                        .minimum(Some(1))
                        .maximum(Some(max)),
                ))
                .build()
        };
        vec![
            param(
                "page",
                PageRequest::MAX_PAGE,
                format!("Page number, 1..={} (default 1)", PageRequest::MAX_PAGE),
            ),
            param(
                "per_page",
                PageRequest::MAX_PER_PAGE,
                format!(
                    "Items per page, 1..={} (default {})",
                    PageRequest::MAX_PER_PAGE,
                    PageRequest::DEFAULT_PER_PAGE
                ),
            ),
        ]
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Pair {
        a: String,
        b: String,
    }

    #[test]
    fn only_objects_are_bodies() {
        assert!(json::<Pair>(br#"{"a": "x", "b": "y"}"#).is_ok());
        assert!(matches!(
            json::<Pair>(br#"["x", "y"]"#),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(json::<Pair>(b"  "), Err(ApiError::Malformed(_))));
    }

    #[test]
    fn a_nul_escape_is_refused_but_an_escaped_backslash_is_not_one() {
        assert!(matches!(
            json::<Pair>(br#"{"a": "x\u0000y", "b": ""}"#),
            Err(ApiError::Malformed(m)) if m.contains("NUL")
        ));
        assert!(json::<Pair>(br#"{"a": "x\\u0000y", "b": ""}"#).is_ok());
        assert!(matches!(
            json::<Pair>(br#"{"a": "x\\\u0000", "b": ""}"#),
            Err(ApiError::Malformed(_))
        ));
    }
}
