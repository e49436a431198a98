//! The web pages: `/events` (the voucher drop), `/book` (exam seats) and `/admin` (the admin
//! console), plus the files they share under `/assets/`. Plain HTML, CSS and JavaScript
//! modules, compiled into the binary, so the pages work with no build step, no CDN and no files
//! to deploy. They use the public API only.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the pages need: (path, content type, body).
const FILES: &[(&str, &str, &str)] = &[
    (
        "/events",
        HTML,
        include_str!("../../static/events/index.html"),
    ),
    (
        "/events/app.js",
        JS,
        include_str!("../../static/events/app.js"),
    ),
    (
        "/events/style.css",
        CSS,
        include_str!("../../static/events/style.css"),
    ),
    ("/book", HTML, include_str!("../../static/book/index.html")),
    ("/book/app.js", JS, include_str!("../../static/book/app.js")),
    (
        "/book/style.css",
        CSS,
        include_str!("../../static/book/style.css"),
    ),
    (
        "/admin",
        HTML,
        include_str!("../../static/admin/index.html"),
    ),
    (
        "/admin/app.js",
        JS,
        include_str!("../../static/admin/app.js"),
    ),
    (
        "/admin/style.css",
        CSS,
        include_str!("../../static/admin/style.css"),
    ),
    (
        "/assets/session.js",
        JS,
        include_str!("../../static/shared/session.js"),
    ),
    (
        "/assets/base.css",
        CSS,
        include_str!("../../static/shared/base.css"),
    ),
];

/// Registers the pages (with and without a trailing slash) and their files. The root sends a
/// browser to the booking page, whose header links the others and the API reference.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(to_booking));
    for page in ["/events", "/book", "/admin"] {
        cfg.route(page, web::get().to(serve))
            .route(&format!("{page}/"), web::get().to(serve))
            .route(&format!("{page}/{{file}}"), web::get().to(serve));
    }
    cfg.route("/assets/{file}", web::get().to(serve));
}

async fn to_booking() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/book"))
        .finish()
}

async fn serve(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    let path = path.strip_suffix('/').unwrap_or(path);
    match FILES.iter().find(|(p, _, _)| *p == path) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            // The pages only talk to this origin; book covers may come from anywhere.
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; \
                 frame-ancestors 'none'",
            ))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(*body),
        None => crate::problem::problem_response(
            actix_web::http::StatusCode::NOT_FOUND,
            "route_not_found",
            "no such file",
        ),
    }
}
