//! One handler per use case, grouped by route family.

pub mod admin_audit;
pub mod admin_reservations;
pub mod admin_slots;
pub mod admin_users;
pub mod admin_vouchers;
pub mod auth;
pub mod health;
pub mod me;
pub mod reservations;
pub mod slots;
pub mod vouchers;
pub mod web_page;

use actix_web::web;
use app::Services;

pub type Svc = web::Data<Services>;
