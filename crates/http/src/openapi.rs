//! The OpenAPI 3 document of every route and schema, served at `/api-docs/openapi.json`.

use crate::dto::*;
use crate::handlers::{
    admin_audit, admin_reservations, admin_slots, admin_users, admin_vouchers, auth, health, me,
    reservations, slots, vouchers,
};
use crate::problem::Problem;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Exam seat booking API",
        description = "Hourly exam slots with a hard cap of confirmed seats per slot. Reservations \
            are requested by users and confirmed by admins. A voucher drop hands out limited \
            first-come vouchers for novels. Errors are RFC 9457 \
            application/problem+json documents with a machine-readable `code`."
    ),
    paths(
        auth::sign_up, auth::log_in, auth::log_out,
        me::get, me::update, me::delete,
        slots::available,
        reservations::create, reservations::list, reservations::get, reservations::update,
        reservations::cancel,
        admin_users::list, admin_users::get, admin_users::update, admin_users::delete,
        admin_slots::list,
        admin_reservations::list, admin_reservations::get, admin_reservations::update,
        admin_reservations::cancel, admin_reservations::confirm,
        vouchers::live, vouchers::claim, vouchers::mine, vouchers::use_claim,
        admin_vouchers::create_book, admin_vouchers::list_books, admin_vouchers::create_voucher,
        admin_vouchers::list_vouchers, admin_vouchers::update_voucher, admin_vouchers::claims,
        admin_vouchers::redeem, admin_audit::list,
        health::live, health::ready,
    ),
    components(schemas(
        Problem, Credentials, UserBody, RoleBody, TokenBody, OwnUserPatch, AdminUserPatch,
        SlotBody, DaySlotsBody, NewReservationBody, ReservationPatchBody, ReservationBody,
        StatusBody, HealthBody, PageBody<UserBody>, PageBody<ReservationBody>,
        BookBody, NewBookBody, VoucherBody, VoucherStatusBody, VoucherSwitchBody, EventsBody,
        NewVoucherBody, VoucherPatchBody, ClaimBody, PageBody<BookBody>, PageBody<VoucherBody>,
        PageBody<ClaimBody>, EventBody, RedemptionBody, AuditEntryBody, PageBody<AuditEntryBody>,
        AuditTargetKindBody, AuditActionBody,
    )),
    modifiers(&BearerAuth, &ProblemResponses),
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

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Makes the document tell the truth about errors, in one place rather than on every route:
/// every error body is `application/problem+json`, and every operation declares the answers the
/// shared machinery can give whatever the route: 400 for malformed input, 413 and 415 for
/// bodies, 500 for a bug, and 503 (with `Retry-After`) when a backing service is unavailable or
/// busy.
struct ProblemResponses;

const PROBLEM_JSON: &str = crate::problem::PROBLEM_JSON;

fn problem(description: &str) -> RefOr<Response> {
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build();
    if description.contains("Retry-After") {
        response.headers.insert(
            "Retry-After".into(),
            RefOr::T(
                utoipa::openapi::header::HeaderBuilder::new()
                    .description(Some("Seconds to wait before trying again"))
                    .schema(Some(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::Type::Integer),
                    ))
                    .build(),
            ),
        );
    }
    RefOr::T(response)
}

impl ProblemResponses {
    fn fix(path: &str, op: &mut Operation) {
        // Problem bodies declared as plain JSON become problem+json.
        for response in op.responses.responses.values_mut() {
            if let RefOr::T(response) = response {
                if let Some(content) = response.content.shift_remove("application/json") {
                    let is_problem = matches!(
                        &content,
                        RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
                    );
                    let key = if is_problem {
                        PROBLEM_JSON
                    } else {
                        "application/json"
                    };
                    response.content.insert(key.to_owned(), content);
                }
            }
        }
        let has_input =
            op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let operational = path == "/health" || path == "/ready";
        let mut add = |status: &str, description: &str| {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| problem(description));
        };
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
        if !operational {
            add("500", "An unexpected error; it is logged with its cause");
            add(
                "503",
                "A backing service is unavailable or busy; retry after Retry-After seconds",
            );
        }
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                Self::fix(path, op);
            }
        }
    }
}
