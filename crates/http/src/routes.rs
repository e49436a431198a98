//! The route table and the app-wide request handling (body limit, error bodies).
//!
//! Every documented route is registered once, in [`register`]: each handler names its own
//! method and path (actix's route attribute), and the same registration gives both the router
//! and the OpenAPI document (`openapi::document`), so the two cannot disagree.

use crate::client_addr::TrustedProxies;
use crate::handlers::health::{self, Readiness};
use crate::handlers::{
    admin_audit, admin_reservations, admin_slots, admin_users, admin_vouchers, auth, me,
    reservations, slots, vouchers, web_page,
};
use crate::problem::{ApiError, PROBLEM_JSON};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use app::Services;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig as DocumentedRoutes;
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

/// Registers every route, shared state and the default (404 or 405) service on an actix `App`.
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
            }));
        if let Some(handle) = config.metrics {
            cfg.app_data(web::Data::new(handle))
                .route("/metrics", web::get().to(crate::metrics::render));
        }
        register(&mut DocumentedRoutes::new(cfg));
        cfg.configure(web_page::routes)
            .service(
                SwaggerUi::new("/swagger-ui/{_:.*}")
                    .url("/api-docs/openapi.json", crate::openapi::document().clone()),
            )
            .default_service(web::to(unmatched));
    }
}

/// Every documented route, once. The API comes first: the router (and the request log's route
/// template) tries patterns in order, and the pages' and Swagger UI's patterns are regular
/// expressions that every API request would otherwise run first.
pub(crate) fn register(cfg: &mut DocumentedRoutes) {
    cfg.service(health::health).service(health::ready).service(
        scope("/api/v1")
            .service(auth::sign_up)
            .service(auth::log_in)
            .service(auth::log_out)
            .service(me::get_own_account)
            .service(me::update_own_account)
            .service(me::delete_own_account)
            .service(slots::list_available_slots)
            .service(reservations::list_own_reservations)
            .service(reservations::create_reservation)
            .service(reservations::get_own_reservation)
            .service(reservations::update_own_reservation)
            .service(reservations::cancel_own_reservation)
            .service(vouchers::list_live_vouchers)
            .service(vouchers::claim_voucher)
            .service(vouchers::list_own_claims)
            .service(vouchers::use_own_claim)
            .service(admin_users::admin_list_users)
            .service(admin_users::admin_get_user)
            .service(admin_users::admin_update_user)
            .service(admin_users::admin_delete_user)
            .service(admin_slots::admin_list_exam_slots)
            .service(admin_reservations::admin_list_reservations)
            .service(admin_reservations::admin_get_reservation)
            .service(admin_reservations::admin_update_reservation)
            .service(admin_reservations::admin_cancel_reservation)
            .service(admin_reservations::admin_confirm_reservation)
            .service(admin_vouchers::admin_list_books)
            .service(admin_vouchers::admin_create_book)
            .service(admin_vouchers::admin_list_vouchers)
            .service(admin_vouchers::admin_create_voucher)
            .service(admin_vouchers::admin_update_voucher)
            .service(admin_vouchers::admin_list_voucher_claims)
            .service(admin_vouchers::admin_redeem_code)
            .service(admin_audit::admin_list_audit),
    );
}

/// A request no route took: 405 (with `Allow`) when the path is a documented route's and only
/// the method is wrong, else 404. (Each route is guarded by its method, so a wrong method
/// falls through to here.)
async fn unmatched(req: HttpRequest) -> HttpResponse {
    let error = match crate::openapi::methods_of(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed { allow: Some(allow) },
        None => ApiError::RouteNotFound,
    };
    error.error_response()
}

pub fn problem_bodies<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(to_problem)
}

/// Rewrites error responses that actix produced on its own (413 from the body limit, 400 from a
/// bad request line, 5xx from a crashed handler) into problem+json, so clients see one error
/// format everywhere.
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
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed {
            allow: crate::openapi::methods_of(res.request().path()),
        },
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::NOT_FOUND => ApiError::RouteNotFound,
        StatusCode::INTERNAL_SERVER_ERROR => ApiError::Internal("actix answered a server error"),
        StatusCode::BAD_REQUEST => ApiError::Malformed("the request could not be processed".into()),
        // Rarer answers of actix's own (408, 431, ...) keep their status.
        other => {
            let (req, _) = res.into_parts();
            let body = crate::problem::problem_response(
                other,
                "bad_request",
                "the request could not be processed",
            );
            return Ok(ErrorHandlerResponse::Response(
                ServiceResponse::new(req, body).map_into_right_body::<B>(),
            ));
        }
    };
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, error.error_response()).map_into_right_body::<B>(),
    ))
}
