//! The app's configuration and the app-wide request handling (body limit, error bodies). The
//! documented routes come from their one registration, `api::register`.

use crate::client_addr::TrustedProxies;
use crate::handlers::health::Readiness;
use crate::handlers::{auth, slots, web_page};
use crate::problem::{ApiError, PROBLEM_JSON};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use app::Services;
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
        crate::api::register(&mut DocumentedRoutes::new(cfg));
        cfg.configure(web_page::routes)
            .service(
                SwaggerUi::new("/swagger-ui/{_:.*}")
                    .url("/api-docs/openapi.json", crate::openapi::document().clone()),
            )
            .default_service(web::to(unmatched));
    }
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
