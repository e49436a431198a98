//! The web pages: `/events` (the voucher drop), `/book` (exam seats) and `/admin` (the admin
//! console), plus the files they share under `/assets/`. Plain HTML, CSS and JavaScript
//! modules, compiled into the binary, so the pages work with no build step, no CDN and no files
//! to deploy. They use the public API only.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One file of the pages: its path, content type and body, compiled in.
macro_rules! page_file {
    ($path:literal, $kind:expr, $source:literal) => {
        (
            $path,
            $kind,
            include_str!(concat!("../../static/", $source)),
        )
    };
}

/// Every file the pages need: (path, content type, body).
const FILES: &[(&str, &str, &str)] = &[
    page_file!("/events", HTML, "events/index.html"),
    page_file!("/events/app.js", JS, "events/app.js"),
    page_file!("/events/style.css", CSS, "events/style.css"),
    page_file!("/book", HTML, "book/index.html"),
    page_file!("/book/app.js", JS, "book/app.js"),
    page_file!("/book/style.css", CSS, "book/style.css"),
    page_file!("/admin", HTML, "admin/index.html"),
    page_file!("/admin/app.js", JS, "admin/app.js"),
    page_file!("/admin/console.js", JS, "admin/console.js"),
    page_file!("/admin/users.js", JS, "admin/users.js"),
    page_file!("/admin/rows.js", JS, "admin/rows.js"),
    page_file!("/admin/pending.js", JS, "admin/pending.js"),
    page_file!("/admin/day.js", JS, "admin/day.js"),
    page_file!("/admin/modes.js", JS, "admin/modes.js"),
    page_file!("/admin/tabs.js", JS, "admin/tabs.js"),
    page_file!("/admin/search.js", JS, "admin/search.js"),
    page_file!("/admin/vouchers.js", JS, "admin/vouchers.js"),
    page_file!("/admin/redeem.js", JS, "admin/redeem.js"),
    page_file!("/admin/style.css", CSS, "admin/style.css"),
    page_file!("/assets/session.js", JS, "shared/session.js"),
    page_file!("/assets/base.css", CSS, "shared/base.css"),
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
        None => crate::problem::ApiError::RouteNotFound.error_response(),
    }
}
