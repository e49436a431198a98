//! The route table and the app-wide request handling (body limit, error bodies, tracing).

use crate::client_addr::TrustedProxies;
use crate::handlers::{
    admin_audit, admin_reservations, admin_slots, admin_users, admin_vouchers, auth, health, me,
    reservations, slots, vouchers, web_page,
};
use crate::openapi::ApiDoc;
use crate::problem::{problem_response, ApiError, PROBLEM_JSON};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpResponse, ResponseError};
use app::Services;
use ports::HealthProbe;
use std::sync::Arc;
use std::time::Duration;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// HTTP-level settings.
#[derive(Clone)]
pub struct ApiConfig {
    pub body_limit_bytes: usize,
    /// Serves `GET /metrics` when set.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Cookies only over HTTPS (production).
    pub secure_cookies: bool,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("metrics", &self.metrics.is_some())
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secure_cookies", &self.secure_cookies)
            .finish()
    }
}

/// The probes behind `/ready`, and the switch that takes the instance out of rotation while it
/// shuts down.
#[derive(Clone)]
pub struct Readiness {
    pub probes: Vec<Arc<dyn HealthProbe>>,
    pub timeout: Duration,
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.probes.iter().map(|p| p.name()).collect();
        f.debug_struct("Readiness").field("probes", &names).finish()
    }
}

/// Registers every route, shared state and the default (404) service on an actix `App`.
pub fn configure(
    services: Services,
    readiness: Readiness,
    config: ApiConfig,
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(services))
            .app_data(web::Data::new(slots::RenderedDays::default()))
            .app_data(web::Data::new(readiness))
            .app_data(web::PayloadConfig::new(config.body_limit_bytes))
            .app_data(web::Data::new(config.trusted_proxies))
            .app_data(web::Data::new(auth::CookiePolicy {
                secure: config.secure_cookies,
            }))
            .configure(|cfg| {
                if let Some(handle) = config.metrics {
                    cfg.app_data(web::Data::new(handle)).service(
                        web::resource("/metrics").route(web::get().to(crate::metrics::render)),
                    );
                }
            })
            .service(web::resource("/health").route(web::get().to(health::live)))
            .service(web::resource("/ready").route(web::get().to(health::ready)))
            // The API first: the router (and the request log's route template) tries patterns
            // in order, and the pages' and Swagger UI's patterns are regular expressions that
            // every API request would otherwise run first.
            .service(
                web::scope("/api/v1")
                    .service(web::resource("/auth/signup").route(web::post().to(auth::sign_up)))
                    .service(web::resource("/auth/login").route(web::post().to(auth::log_in)))
                    .service(web::resource("/auth/logout").route(web::post().to(auth::log_out)))
                    .service(
                        web::resource("/users/me")
                            .route(web::get().to(me::get))
                            .route(web::patch().to(me::update))
                            .route(web::delete().to(me::delete)),
                    )
                    .service(
                        web::resource("/exam-slots/available")
                            .route(web::get().to(slots::available)),
                    )
                    .service(
                        web::resource("/reservations")
                            .route(web::get().to(reservations::list))
                            .route(web::post().to(reservations::create)),
                    )
                    .service(
                        web::resource("/reservations/{id}")
                            .route(web::get().to(reservations::get))
                            .route(web::patch().to(reservations::update))
                            .route(web::delete().to(reservations::cancel)),
                    )
                    .service(web::resource("/admin/users").route(web::get().to(admin_users::list)))
                    .service(
                        web::resource("/admin/users/{id}")
                            .route(web::get().to(admin_users::get))
                            .route(web::patch().to(admin_users::update))
                            .route(web::delete().to(admin_users::delete)),
                    )
                    .service(
                        web::resource("/admin/exam-slots").route(web::get().to(admin_slots::list)),
                    )
                    .service(
                        web::resource("/admin/reservations")
                            .route(web::get().to(admin_reservations::list)),
                    )
                    .service(
                        web::resource("/admin/reservations/{id}")
                            .route(web::get().to(admin_reservations::get))
                            .route(web::patch().to(admin_reservations::update))
                            .route(web::delete().to(admin_reservations::cancel)),
                    )
                    .service(
                        web::resource("/admin/reservations/{id}/confirm")
                            .route(web::post().to(admin_reservations::confirm)),
                    )
                    .service(web::resource("/events").route(web::get().to(vouchers::live)))
                    .service(
                        web::resource("/events/{id}/claim").route(web::post().to(vouchers::claim)),
                    )
                    .service(
                        web::resource("/users/me/vouchers").route(web::get().to(vouchers::mine)),
                    )
                    .service(
                        web::resource("/users/me/vouchers/{id}/use")
                            .route(web::post().to(vouchers::use_claim)),
                    )
                    .service(
                        web::resource("/admin/books")
                            .route(web::get().to(admin_vouchers::list_books))
                            .route(web::post().to(admin_vouchers::create_book)),
                    )
                    .service(
                        web::resource("/admin/vouchers")
                            .route(web::get().to(admin_vouchers::list_vouchers))
                            .route(web::post().to(admin_vouchers::create_voucher)),
                    )
                    .service(
                        web::resource("/admin/vouchers/{id}")
                            .route(web::patch().to(admin_vouchers::update_voucher)),
                    )
                    .service(
                        web::resource("/admin/vouchers/{id}/claims")
                            .route(web::get().to(admin_vouchers::claims)),
                    )
                    .service(
                        web::resource("/admin/redemptions")
                            .route(web::post().to(admin_vouchers::redeem)),
                    )
                    .service(web::resource("/admin/audit").route(web::get().to(admin_audit::list))),
            )
            .configure(web_page::routes)
            .service(
                SwaggerUi::new("/swagger-ui/{_:.*}")
                    .url("/api-docs/openapi.json", ApiDoc::openapi()),
            )
            .default_service(web::to(route_not_found));
    }
}

async fn route_not_found() -> HttpResponse {
    ApiError::RouteNotFound.error_response()
}

/// Rewrites error responses that actix produced on its own (405 from a resource, 413 from the
/// body limit, 400 from a bad request line, 5xx from a crashed handler) into problem+json, so
/// clients see one error format everywhere.
/// The methods each route pattern supports, read once from the OpenAPI document (which every
/// route is in, so the two cannot disagree).
static ALLOWED: std::sync::LazyLock<std::collections::HashMap<String, String>> =
    std::sync::LazyLock::new(|| {
        let doc = ApiDoc::openapi();
        doc.paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (unnamed(path), methods.join(", "))
            })
            .collect()
    });

/// `/a/{id}/b` -> `/a/{}/b`: the router and the document may name a segment differently.
fn unnamed(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_name = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                in_name = true;
                out.push_str("{}");
            }
            '}' => in_name = false,
            _ if in_name => {}
            _ => out.push(c),
        }
    }
    out
}

fn allowed_methods(pattern: &str) -> Option<String> {
    ALLOWED.get(&unnamed(pattern)).cloned()
}

pub fn problem_bodies<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(to_problem)
}

fn to_problem<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own handlers answer JSON (problem+json for errors, a health report for /ready);
    // only actix's bare answers are rewritten.
    let ours = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v == PROBLEM_JSON.as_bytes() || v.starts_with(b"application/json")
    });
    if ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this route does not accept that method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::NOT_FOUND => ("route_not_found", "no such route"),
        s if s.is_server_error() => ("internal_error", "an unexpected error occurred"),
        _ => ("bad_request", "the request could not be processed"),
    };
    let (req, _) = res.into_parts();
    let mut rewritten = problem_response(status, code, detail);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        // RFC 9110: a 405 names the methods the resource does support.
        if let Some(allow) = req.match_pattern().and_then(|p| allowed_methods(&p)) {
            if let Ok(value) = header::HeaderValue::from_str(&allow) {
                rewritten.headers_mut().insert(header::ALLOW, value);
            }
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, rewritten).map_into_right_body::<B>(),
    ))
}
