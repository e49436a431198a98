//! One log line per request, the request id in and out, and the headers every response carries.
//!
//! The line is written when the response is ready, at INFO (DEBUG for the health probes, WARN
//! for server errors, the only answers an operator must look at). Answers that actix makes
//! itself (unknown route, wrong method, body too large) pass through here too, so they are
//! logged like any other.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Instant;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything from this origin, inline styles (Swagger UI sets some), data: images (its icons),
/// and never inside a frame.
const SWAGGER_CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; frame-ancestors 'none'";

/// Longest incoming request id that is passed on; longer or odd ones are replaced.
const MAX_INCOMING_ID: usize = 64;

/// Ids are a per-process random prefix plus a counter: unique across instances, and cheaper than
/// a random id per request.
static PROCESS_PREFIX: LazyLock<String> =
    LazyLock::new(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_owned());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn usable(incoming: &HeaderValue) -> Option<&str> {
    let id = incoming.to_str().ok()?;
    let ok = !id.is_empty()
        && id.len() <= MAX_INCOMING_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then_some(id)
}

fn request_id(req: &ServiceRequest) -> String {
    match req.headers().get(&REQUEST_ID).and_then(usable) {
        Some(id) => id.to_owned(),
        None => format!(
            "{}-{}",
            *PROCESS_PREFIX,
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        ),
    }
}

/// Counts a request in flight until dropped, so a request whose client hung up (its future
/// dropped half-way) is counted out too.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics::gauge!("http_requests_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("http_requests_in_flight").decrement(1.0);
    }
}

/// A method as a label value: one of the standard methods, or `other`. Label values must come
/// from a closed set: every value is a series the exporter keeps for good, and a client may
/// send any token as a method.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

fn is_probe(path: &str) -> bool {
    matches!(path, "/health" | "/ready")
}

/// The middleware (wrap it outermost, with `actix_web::middleware::from_fn`).
///
/// # Errors
/// Whatever the inner service returns.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let path = req.path().to_owned();
    let client = crate::client_addr::resolve(&req).map(tracing::field::display);
    let in_flight = InFlight::enter();
    let mut res = next.call(req).await?;
    drop(in_flight);
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    let micros = elapsed.as_micros() as u64;
    // Route templates, not paths: ids never become label values.
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method_label = method_label(&method);
    metrics::counter!(
        "http_requests_total",
        "method" => method_label,
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method_label,
        "route" => route.clone()
    )
    .record(elapsed.as_secs_f64());
    if status >= 500 {
        let cause = res.response().error().map(ToString::to_string);
        tracing::warn!(target: "request", request_id = %id, client, %method, %path, %route, status, micros, cause, "request failed");
    } else if is_probe(&path) {
        tracing::debug!(target: "request", request_id = %id, client, %method, %path, status, micros, "request");
    } else {
        tracing::info!(target: "request", request_id = %id, client, %method, %path, %route, status, micros, "request");
    }
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, value);
    }
    headers.insert(
        actix_web::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        actix_web::http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if path.starts_with("/swagger-ui") {
        // Swagger UI is served from the binary; its page sets inline styles, nothing else.
        headers.insert(
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SWAGGER_CSP),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_incoming_ids_are_passed_on() {
        assert_eq!(
            usable(&HeaderValue::from_static("abc-123.x_y:z")),
            Some("abc-123.x_y:z")
        );
        assert_eq!(usable(&HeaderValue::from_static("")), None);
        assert_eq!(usable(&HeaderValue::from_static("has space")), None);
        let long = "a".repeat(MAX_INCOMING_ID + 1);
        assert_eq!(usable(&HeaderValue::from_str(&long).expect("ascii")), None);
    }

    #[test]
    fn methods_label_as_themselves_or_other() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let invented = Method::from_bytes(b"BREW").expect("a token");
        assert_eq!(method_label(&invented), "other");
    }
}
