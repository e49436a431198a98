//! The route table: every documented route, registered once. Each handler names its own method
//! and path (actix's route attribute), and this one registration gives both the router
//! (`routes::configure`) and the OpenAPI document (`openapi::document`), so the two cannot
//! disagree.

use crate::handlers::{
    admin_audit, admin_reservations, admin_slots, admin_users, admin_vouchers, auth, health, me,
    reservations, slots, vouchers,
};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig as DocumentedRoutes;

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
            .service(admin_slots::admin_set_booking_mode)
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
