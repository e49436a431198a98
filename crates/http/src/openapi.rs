//! The OpenAPI 3.1 document, served at `/api-docs/openapi.json`.
//!
//! Its operations come from the one route registration (`api::register`); this module
//! completes them in one place with what every operation shares, rather than on every route:
//! who may call it (the bearer scheme, 401, and 403 for admin routes), the answers of the shared
//! machinery (400, 413, 415, 500, 503), `application/problem+json` for every error body, and an
//! example of each error answer with its own status and code.

use crate::dto::{AuditActionBody, AuditTargetKindBody};
use crate::problem::{Problem, PROBLEM_JSON};
use serde_json::json;
use std::sync::LazyLock;
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Exam seat booking API",
        description = "Hourly exam slots with a hard cap of confirmed seats per slot. Reservations \
            are requested by users and confirmed by admins. A voucher drop hands out limited \
            first-come vouchers for novels. Errors are RFC 9457 \
            application/problem+json documents with a machine-readable `code`."
    ),
    // Referenced by the shared answers and the filters' documentation, not by a handler's body.
    components(schemas(Problem, AuditTargetKindBody, AuditActionBody)),
    tags(
        (name = "auth", description = "Sign-up, log-in, log-out"),
        (name = "account", description = "The caller's own account"),
        (name = "slots", description = "Bookable hourly slots"),
        (name = "reservations", description = "The caller's own reservations"),
        (name = "vouchers", description = "The voucher drop: live vouchers, claims, own vouchers"),
        (name = "admin", description = "Admin-only management"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<Document> = LazyLock::new(build);

/// The document, built once per process.
pub fn document() -> &'static Document {
    &DOCUMENT
}

fn build() -> Document {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::register)
        .split_for_parts();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            BEARER,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations(item) {
            complete(path, method, op);
        }
    }
    doc
}

const BEARER: &str = "bearer";

fn operations(item: &mut PathItem) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, &mut item.get),
        (HttpMethod::Put, &mut item.put),
        (HttpMethod::Post, &mut item.post),
        (HttpMethod::Delete, &mut item.delete),
        (HttpMethod::Patch, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Anyone,
    User,
    Admin,
}

/// The operations anyone may call; every other one needs a token, and the admin routes an
/// admin's. (The handlers' extractors enforce it; schemathesis holds the two together.)
const PUBLIC: [(HttpMethod, &str); 5] = [
    (HttpMethod::Get, "/health"),
    (HttpMethod::Get, "/ready"),
    (HttpMethod::Post, "/api/v1/auth/signup"),
    (HttpMethod::Post, "/api/v1/auth/login"),
    (HttpMethod::Get, "/api/v1/events"),
];

fn audience(method: &HttpMethod, path: &str) -> Audience {
    if PUBLIC.iter().any(|(m, p)| m == method && *p == path) {
        Audience::Anyone
    } else if path.starts_with("/api/v1/admin/") {
        Audience::Admin
    } else {
        Audience::User
    }
}

fn complete(path: &str, method: HttpMethod, op: &mut Operation) {
    // Problem bodies declared as plain JSON become problem+json.
    for response in op.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            if let Some(content) = response.content.shift_remove("application/json") {
                let key = if is_problem(&content) {
                    PROBLEM_JSON
                } else {
                    "application/json"
                };
                response.content.insert(key.to_owned(), content);
            }
        }
    }
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description));
    };
    let who = audience(&method, path);
    if who != Audience::Anyone {
        add("401", "Missing, invalid, expired or revoked token");
    }
    if who == Audience::Admin {
        add("403", "The token is valid, but not an admin's");
    }
    let has_input =
        op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    if has_input {
        add(
            "400",
            "Malformed input: bad JSON, wrong types, bad ids, dates or query values",
        );
    }
    if op.request_body.is_some() {
        add("413", "The body is larger than the configured limit");
        add("415", "The body is not declared as JSON");
    }
    let operational = path == "/health" || path == "/ready";
    if !operational {
        add("500", "An unexpected error; it is logged with its cause");
        add(
            "503",
            "A backing service is unavailable or busy; retry after Retry-After seconds",
        );
    }
    if who != Audience::Anyone {
        op.security = Some(vec![SecurityRequirement::new::<_, _, &str>(BEARER, [])]);
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(response) = response {
            if status == "503" || status == "429" {
                add_retry_after(response);
            }
            give_example(status, response);
        }
    }
}

fn is_problem(content: &RefOr<Content>) -> bool {
    matches!(content, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")))
}

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .build(),
    )
}

/// A response that asks the client to come back later says when.
fn add_retry_after(response: &mut Response) {
    response
        .headers
        .entry("Retry-After".into())
        .or_insert_with(|| {
            RefOr::T(
                utoipa::openapi::header::HeaderBuilder::new()
                    .description(Some("Seconds to wait before trying again"))
                    .schema(Some(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::Type::Integer),
                    ))
                    .build(),
            )
        });
}

/// The problem document a response of `status` carries: its code is the first one the
/// description names (`insufficient_capacity or slot_missing: ...`), else the status's usual
/// one.
fn give_example(status: &str, response: &mut Response) {
    let Some(RefOr::T(content)) = response.content.get_mut(PROBLEM_JSON) else {
        return;
    };
    if content.example.is_some() {
        return;
    }
    let Ok(number) = status.parse::<u16>() else {
        return;
    };
    let named = response
        .description
        .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .find(|word| word.contains('_') && !word.starts_with('_') && !word.ends_with('_'));
    let code = named.unwrap_or(match number {
        400 => "malformed_request",
        401 => "missing_token",
        403 => "forbidden",
        404 => "not_found",
        409 => "status_changed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "invalid_seats",
        429 => "too_many_attempts",
        500 => "internal_error",
        _ => "service_unavailable",
    });
    let title = actix_web::http::StatusCode::from_u16(number)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    content.example = Some(json!({
        "type": format!("/problems/{code}"),
        "title": title,
        "status": number,
        "detail": response.description,
        "code": code,
    }));
}

/// Each documented path as segments (`None` for a `{parameter}`), with its methods as `Allow`
/// lists them.
static ROUTES: LazyLock<Vec<(Vec<Option<String>>, String)>> = LazyLock::new(|| {
    document()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let segments = path
                .split('/')
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect();
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
            (segments, methods.join(", "))
        })
        .collect()
});

/// The methods the route of request path `path` takes (`GET, POST`), or `None` when no
/// documented route has that path.
pub fn methods_of(path: &str) -> Option<String> {
    let asked: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .find(|(segments, _)| {
            segments.len() == asked.len()
                && segments.iter().zip(&asked).all(|(want, got)| match want {
                    Some(literal) => literal == got,
                    None => !got.is_empty(),
                })
        })
        .map(|(_, methods)| methods.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_operation_has_its_own_descriptive_id() {
        let mut seen = HashSet::new();
        for item in document().paths.paths.values() {
            let mut item = item.clone();
            for (_, op) in operations(&mut item) {
                let id = op.operation_id.clone().expect("an operationId");
                assert!(id.contains('_') || id == "health" || id == "ready", "{id}");
                assert!(seen.insert(id.clone()), "{id} is used twice");
            }
        }
        assert_eq!(seen.len(), 37);
    }

    #[test]
    fn secured_operations_answer_401_and_admin_ones_403() {
        let paths = &document().paths.paths;
        let me = paths["/api/v1/users/me"]
            .get
            .as_ref()
            .expect("GET /users/me");
        assert!(me.security.is_some());
        assert!(me.responses.responses.contains_key("401"));
        assert!(!me.responses.responses.contains_key("403"));
        let users = paths["/api/v1/admin/users"]
            .get
            .as_ref()
            .expect("GET /admin/users");
        assert!(users.responses.responses.contains_key("403"));
        let login = paths["/api/v1/auth/login"]
            .post
            .as_ref()
            .expect("POST /auth/login");
        assert!(login.security.is_none());
        assert!(
            !login.responses.responses.contains_key("401") || {
                // The log-in's own 401 is a wrong password, not a token.
                let described = match &login.responses.responses["401"] {
                    RefOr::T(r) => r.description.clone(),
                    RefOr::Ref(_) => String::new(),
                };
                described.contains("password")
            }
        );
    }

    #[test]
    fn each_error_example_names_its_own_status() {
        let doc = serde_json::to_value(document()).expect("json");
        let mut checked = 0;
        for item in doc["paths"].as_object().expect("paths").values() {
            for op in item.as_object().expect("item").values() {
                let Some(responses) = op["responses"].as_object() else {
                    continue;
                };
                for (status, response) in responses {
                    let example = &response["content"][PROBLEM_JSON]["example"];
                    if example.is_null() {
                        continue;
                    }
                    assert_eq!(example["status"].to_string(), *status, "{example}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// The document as committed in `docs/openapi.json`: any change to the API shows in review.
    /// After a deliberate change, `UPDATE_OPENAPI=1 cargo test -p http-api openapi` rewrites it.
    #[test]
    fn the_document_is_the_one_committed_for_review() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let served = serde_json::to_string_pretty(document()).expect("json") + "\n";
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &served).expect("docs/openapi.json written");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == served,
            "the OpenAPI document changed: review it, then accept it with \
             UPDATE_OPENAPI=1 cargo test -p http-api openapi (docs/openapi.json)"
        );
    }

    #[test]
    fn request_paths_find_their_routes_methods() {
        assert_eq!(
            methods_of("/api/v1/reservations").as_deref(),
            Some("GET, POST")
        );
        assert_eq!(
            methods_of("/api/v1/reservations/12").as_deref(),
            Some("GET, PATCH, DELETE")
        );
        assert_eq!(methods_of("/api/v1/reservations/12/x"), None);
        assert_eq!(methods_of("/api/v1/reservations//"), None);
        assert_eq!(methods_of("/nope"), None);
    }
}
