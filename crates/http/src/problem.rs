//! The one place where errors become HTTP responses (RFC 9457 problem+json).

use actix_web::body::BoxBody;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use app::{AppError, Conflict, Invalid, Unauthenticated};
use domain::voucher::ClaimRefusal;
use domain::TransitionError;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Errors of the HTTP layer: the use-case error plus what only HTTP can get wrong.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The request could not be read: bad JSON, wrong types, unknown fields, bad ids or dates.
    Malformed(String),
    MissingToken,
    PayloadTooLarge,
    /// A body that is not declared as JSON.
    UnsupportedMediaType,
    RouteNotFound,
    /// The route exists, but not for this method; `allow` lists the ones it takes.
    MethodNotAllowed {
        allow: Option<String>,
    },
    /// A bug of ours, such as a wiring mistake: an opaque 500, logged with its reason.
    Internal(&'static str),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe().detail)
    }
}

/// The problem document every error response carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable machine-readable code (each answer's example in this document shows one).
    pub code: String,
    /// `insufficient_capacity` only, when known: the start of the first hour that is short.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub short_hour: Option<String>,
}

struct Described {
    status: StatusCode,
    code: &'static str,
    detail: String,
}

fn described(status: StatusCode, code: &'static str, detail: impl ToString) -> Described {
    Described {
        status,
        code,
        detail: detail.to_string(),
    }
}

impl ApiError {
    fn describe(&self) -> Described {
        use StatusCode as S;
        match self {
            ApiError::Malformed(why) => described(S::BAD_REQUEST, "malformed_request", why),
            ApiError::MissingToken => described(
                S::UNAUTHORIZED,
                "missing_token",
                "an Authorization: Bearer <token> header is required",
            ),
            ApiError::PayloadTooLarge => described(
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            ),
            ApiError::UnsupportedMediaType => described(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON, sent as Content-Type: application/json",
            ),
            ApiError::RouteNotFound => described(S::NOT_FOUND, "route_not_found", "no such route"),
            ApiError::MethodNotAllowed { .. } => described(
                S::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept that method",
            ),
            ApiError::Internal(_) => described(
                S::INTERNAL_SERVER_ERROR,
                "internal_error",
                "an unexpected error occurred",
            ),
            ApiError::App(e) => describe_app(e),
        }
    }
}

fn describe_app(e: &AppError) -> Described {
    use StatusCode as S;
    match e {
        AppError::Unauthenticated(u) => {
            let code = match u {
                Unauthenticated::BadCredentials => "invalid_credentials",
                Unauthenticated::InvalidToken => "invalid_token",
                Unauthenticated::ExpiredToken => "token_expired",
                Unauthenticated::RevokedToken => "token_revoked",
                Unauthenticated::SessionEnded => "session_ended",
            };
            described(S::UNAUTHORIZED, code, u)
        }
        AppError::Forbidden => described(S::FORBIDDEN, "forbidden", e),
        // A malformed header, not a broken business rule.
        AppError::Invalid(i @ Invalid::IdempotencyKey) => {
            described(S::BAD_REQUEST, "invalid_idempotency_key", i)
        }
        AppError::Invalid(i) => {
            let code = match i {
                Invalid::Username(_) => "invalid_username",
                Invalid::Password(_) => "invalid_password",
                Invalid::Seats(_) => "invalid_seats",
                Invalid::Range(_) => "invalid_time_range",
                Invalid::Window(_) => "outside_booking_window",
                Invalid::DateOutsideWindow => "date_outside_window",
                Invalid::Book(_) => "invalid_book",
                Invalid::Voucher(_) => "invalid_voucher",
                Invalid::ClaimWindow(ClaimRefusal::NotOpenYet) => "not_open_yet",
                Invalid::ClaimWindow(_) => "voucher_closed",
                Invalid::RedemptionCode(_) => "invalid_redemption_code",
                Invalid::IdempotencyKeyReused => "idempotency_key_reused",
                Invalid::IdempotencyKey => "invalid_idempotency_key",
                Invalid::MixedBookingModes => "mixed_booking_modes",
                Invalid::EmptyRange => "invalid_time_range",
            };
            described(S::UNPROCESSABLE_ENTITY, code, i)
        }
        AppError::NotFound(what) => {
            described(S::NOT_FOUND, "not_found", format!("{what} not found"))
        }
        AppError::Conflict(c) => {
            let code = match c {
                Conflict::DuplicateUsername => "username_taken",
                Conflict::InsufficientCapacity | Conflict::HourFull(_) => "insufficient_capacity",
                Conflict::SlotMissing => "slot_missing",
                Conflict::StatusChanged(_) => "status_changed",
                Conflict::DuplicateVoucherCode => "duplicate_code",
                Conflict::AlreadyClaimed => "already_claimed",
                Conflict::SoldOut => "sold_out",
                Conflict::AlreadyUsed => "already_used",
                Conflict::IdempotencyKeyInProgress => "idempotency_key_in_progress",
                Conflict::Transition(t) => match t {
                    TransitionError::AlreadyConfirmed => "already_confirmed",
                    TransitionError::AlreadyCancelled => "already_cancelled",
                    TransitionError::AlreadyStarted => "already_started",
                    TransitionError::CancelConfirmedRequiresAdmin => "cancel_requires_admin",
                    TransitionError::EditConfirmedRequiresAdmin => "edit_requires_admin",
                    TransitionError::ConfirmRequiresAdmin => "confirm_requires_admin",
                    TransitionError::Waitlisted => "waitlisted",
                    TransitionError::AlreadyExpired => "already_expired",
                    TransitionError::FirstComeCannotBeEdited => "first_come_not_editable",
                    TransitionError::CancelWindowClosed => "cancel_window_closed",
                    // Mapped to NotFound before it gets here; kept for exhaustiveness.
                    TransitionError::NotFound => "not_found",
                },
            };
            described(S::CONFLICT, code, c)
        }
        AppError::Busy => described(S::SERVICE_UNAVAILABLE, "busy", e),
        AppError::Throttled(_) => described(S::TOO_MANY_REQUESTS, "too_many_attempts", e),
        AppError::Backend(_) => described(
            S::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "a backing service is unavailable; try again shortly",
        ),
    }
}

/// Builds a problem+json response.
pub fn problem_response(status: StatusCode, code: &str, detail: &str) -> HttpResponse {
    problem_with(status, code, detail, None)
}

fn problem_with(
    status: StatusCode,
    code: &str,
    detail: &str,
    short_hour: Option<String>,
) -> HttpResponse {
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        builder.insert_header((header::RETRY_AFTER, "1"));
    }
    if status == StatusCode::UNAUTHORIZED {
        builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    builder.json(Problem {
        kind: format!("/problems/{code}"),
        title,
        status: status.as_u16(),
        detail: detail.to_owned(),
        code: code.to_owned(),
        short_hour,
    })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.describe().status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            // The client gets an opaque 503; operators get the whole chain.
            ApiError::App(AppError::Backend(source)) => {
                tracing::error!(error = ?source, "backing service failure");
            }
            ApiError::Internal(reason) => tracing::error!(reason, "internal error"),
            _ => {}
        }
        let d = self.describe();
        let short_hour = match self {
            ApiError::App(AppError::Conflict(Conflict::HourFull(hour))) => hour
                .format(&time::format_description::well_known::Rfc3339)
                .ok(),
            _ => None,
        };
        let mut response = problem_with(d.status, d.code, &d.detail, short_hour);
        if let ApiError::MethodNotAllowed { allow: Some(allow) } = self {
            // RFC 9110: a 405 names the methods the resource does support.
            if let Ok(value) = header::HeaderValue::from_str(allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
        }
        if let ApiError::App(AppError::Throttled(wait)) = self {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = header::HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
