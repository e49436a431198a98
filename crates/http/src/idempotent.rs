//! The `Idempotency-Key` header on the two user-facing creates (`POST /api/v1/reservations`,
//! `POST /api/v1/events/{id}/claim`). The first request with a key does the work and its
//! answer is stored; a retry with the same key and request gets that answer back, marked with
//! `Idempotent-Replayed: true`. Answers that say nothing about the work (busy, unavailable,
//! a failure of our own) are not stored: the key is freed and a retry does the work.
//!
//! A reservation is linked to its key in the transaction that creates it, so a process that
//! dies between that commit and storing the answer cannot make a retry create a second one:
//! the retry finds the link and answers with the reservation. (A claim needs no link: a user
//! holds at most one claim of a voucher, so a retry can never claim twice.)

use crate::problem::{ApiError, PROBLEM_JSON};
use actix_web::body::{to_bytes, BoxBody};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use app::{AppError, Begun, IdempotencyKey, Services, StoredAnswer};
use domain::UserId;
use serde_json::Value;
use std::future::Future;

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";

/// What identifies "the same request": method, path and the body as canonical JSON (keys
/// sorted, no whitespace), so that a client re-serialising its body in another key order is
/// still sending the same request.
pub fn fingerprint(req: &HttpRequest, body: Option<&[u8]>) -> String {
    let mut out = format!("{} {}\n", req.method(), req.path());
    match body.map(serde_json::from_slice::<Value>) {
        Some(Ok(json)) => canonical(&json, &mut out),
        Some(Err(_)) => out.push_str(&String::from_utf8_lossy(body.unwrap_or_default())),
        None => {}
    }
    out
}

fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut fields: Vec<_> = map.iter().collect();
            fields.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, v)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Whether an answer is the outcome of the work (and so is replayed) rather than a reason the
/// work did not happen.
fn worth_replaying(status: StatusCode) -> bool {
    !(status.is_server_error()
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
        || status == StatusCode::TOO_MANY_REQUESTS)
}

/// Runs `work` for `user` at most once per key, when the request carries one; `work` gets the
/// key, to link what it makes to it. `made` answers with record `id` when an earlier request
/// with the key made it but never stored its answer.
///
/// # Errors
/// 400 for a malformed or repeated key, 422 `idempotency_key_reused`, 409
/// `idempotency_key_in_progress`, or whatever `work` or `made` fail with.
pub async fn once<W, WF, M, MF>(
    services: &Services,
    req: &HttpRequest,
    user: UserId,
    fingerprint: String,
    work: W,
    made: M,
) -> Result<HttpResponse, ApiError>
where
    W: FnOnce(Option<IdempotencyKey>) -> WF,
    WF: Future<Output = Result<HttpResponse, ApiError>>,
    M: FnOnce(i64) -> MF,
    MF: Future<Output = Result<HttpResponse, ApiError>>,
{
    let mut sent = req.headers().get_all(HEADER);
    let Some(raw) = sent.next() else {
        return work(None).await;
    };
    if sent.next().is_some() {
        // Which one would the client mean? Answering either could replay the wrong work.
        return Err(ApiError::Malformed(
            "send one Idempotency-Key header, not several".into(),
        ));
    }
    let key = IdempotencyKey::parse(raw.as_bytes())?;
    let keys = &services.idempotency;
    let response = match keys.begin(user, &key, &fingerprint).await? {
        Begun::Replay(answer) => return Ok(replay(answer)),
        Begun::Done { resource_id } => {
            let mut response = made(resource_id).await?;
            response.headers_mut().insert(
                header::HeaderName::from_static(REPLAYED),
                header::HeaderValue::from_static("true"),
            );
            response
        }
        Begun::Fresh => work(Some(key.clone()))
            .await
            .unwrap_or_else(|e| e.error_response()),
    };
    if !worth_replaying(response.status()) {
        keys.abandon(user, &key).await;
        return Ok(response);
    }
    let (head, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body).await else {
        keys.abandon(user, &key).await;
        return Err(
            AppError::Backend(ports::BackendError::msg("an answer could not be read")).into(),
        );
    };
    let answer = StoredAnswer {
        status: head.status().as_u16(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    keys.finish(user, &key, &answer).await;
    Ok(head.set_body(BoxBody::new(bytes)))
}

fn replay(answer: StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((REPLAYED, "true"))
        .body(answer.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_same_json_in_another_key_order_is_the_same_request() {
        let req = TestRequest::post()
            .uri("/api/v1/reservations")
            .to_http_request();
        let a = fingerprint(
            &req,
            Some(br#"{"seats": 2, "starts_at": "x", "n": {"b": 1, "a": [1, {"d": 0, "c": 1}]}}"#),
        );
        let b = fingerprint(
            &req,
            Some(br#"{"n":{"a":[1,{"c":1,"d":0}],"b":1},"starts_at":"x","seats":2}"#),
        );
        assert_eq!(a, b);
        let c = fingerprint(&req, Some(br#"{"seats": 3, "starts_at": "x"}"#));
        assert_ne!(a, c);
        let other = TestRequest::post()
            .uri("/api/v1/events/1/claim")
            .to_http_request();
        assert_ne!(fingerprint(&other, None), fingerprint(&req, None));
    }
}
