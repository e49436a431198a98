//! One handler per use case, grouped by route family.

pub mod admin_reservations;
pub mod admin_slots;
pub mod admin_users;
pub mod auth;
pub mod health;
pub mod me;
pub mod reservations;
pub mod slots;

use actix_web::web;
use app::Services;

pub type Svc = web::Data<Services>;
