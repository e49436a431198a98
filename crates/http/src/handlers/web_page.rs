//! The event page for the voucher drop: plain HTML, CSS and a JavaScript module, compiled into
//! the binary so the page works with no build step, no CDN and no files to deploy.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const INDEX: &str = include_str!("../../static/events/index.html");
const APP_JS: &str = include_str!("../../static/events/app.js");
const STYLE_CSS: &str = include_str!("../../static/events/style.css");

fn page(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // The page only talks to this origin.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; \
             frame-ancestors 'none'",
        ))
        .body(body)
}

pub async fn index() -> HttpResponse {
    page("text/html; charset=utf-8", INDEX)
}

pub async fn asset(file: web::Path<String>) -> HttpResponse {
    match file.as_str() {
        "app.js" => page("text/javascript; charset=utf-8", APP_JS),
        "style.css" => page("text/css; charset=utf-8", STYLE_CSS),
        _ => crate::problem::problem_response(
            actix_web::http::StatusCode::NOT_FOUND,
            "route_not_found",
            "no such file",
        ),
    }
}
