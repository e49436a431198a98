//! The OpenAPI 3 document of every route and schema, served at `/api-docs/openapi.json`.

use crate::dto::*;
use crate::handlers::{
    admin_reservations, admin_slots, admin_users, admin_vouchers, auth, health, me, reservations,
    slots, vouchers,
};
use crate::problem::Problem;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
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
        health::live, health::ready,
    ),
    components(schemas(
        Problem, Credentials, UserBody, RoleBody, TokenBody, OwnUserPatch, AdminUserPatch,
        SlotBody, DaySlotsBody, NewReservationBody, ReservationPatchBody, ReservationBody,
        StatusBody, HealthBody, PageBody<UserBody>, PageBody<ReservationBody>,
        BookBody, NewBookBody, VoucherBody, VoucherStatusBody, VoucherSwitchBody, EventsBody,
        NewVoucherBody, VoucherPatchBody, ClaimBody, PageBody<BookBody>, PageBody<VoucherBody>,
        PageBody<ClaimBody>,
    )),
    modifiers(&BearerAuth),
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
