//! Use cases: every authorisation and business decision of the service, orchestrating the
//! domain rules and the ports. Adapters and the HTTP layer only translate.
//!
//! Each area has its own service type holding the ports it needs; [`Services`] builds them all
//! from one [`Deps`] bundle.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod booking_modes;
pub mod day_cache;
pub mod error;
pub mod events;
mod group_commit;
pub mod idempotency;
mod locking;
pub mod policy;
pub mod reservations;
pub mod slots;
pub mod vouchers;

#[cfg(test)]
mod tests;

pub use accounts::{AccountService, UserPatch};
pub use audit::AuditService;
pub use auth::{AuthService, LoggedIn, Session};
pub use booking_modes::BookingModeService;
pub use error::{AppError, Conflict, Invalid, Unauthenticated};
pub use events::EventService;
pub use idempotency::{Begun, IdempotencyKey, IdempotencyService, StoredAnswer};
pub use policy::BookingPolicy;
pub use reservations::{
    AdminReservationQuery, ReservationPatch, ReservationRequest, ReservationService,
};
pub use slots::{DaySlots, SlotService};
pub use vouchers::{VoucherInput, VoucherPatch, VoucherService};

use ports::{
    AdmissionGate, AuditLog, Clock, DistributedLock, IdempotencyKeys, LoginThrottle, Outbox,
    PasswordHasher, ReservationRepository, SharedCache, SlotRepository, Tokens, UserRepository,
    VoucherCatalog, VoucherClaims,
};
use std::sync::Arc;

/// Every port the use cases need, as shared trait objects.
#[derive(Clone)]
pub struct Deps {
    pub users: Arc<dyn UserRepository>,
    pub slots: Arc<dyn SlotRepository>,
    pub reservations: Arc<dyn ReservationRepository>,
    pub lock: Arc<dyn DistributedLock>,
    pub clock: Arc<dyn Clock>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn Tokens>,
    pub cache: Arc<dyn SharedCache>,
    pub throttle: Arc<dyn LoginThrottle>,
    pub catalog: Arc<dyn VoucherCatalog>,
    pub claims: Arc<dyn VoucherClaims>,
    pub gate: Arc<dyn AdmissionGate>,
    pub audit: Arc<dyn AuditLog>,
    pub idempotency: Arc<dyn IdempotencyKeys>,
    pub outbox: Arc<dyn Outbox>,
    pub policy: BookingPolicy,
    /// How long the outbox keeps an event.
    pub event_retention: time::Duration,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// All use-case services, cheap to clone (everything inside is shared).
#[derive(Debug, Clone)]
pub struct Services {
    pub auth: AuthService,
    pub booking_modes: BookingModeService,
    pub accounts: AccountService,
    pub slots: SlotService,
    pub reservations: ReservationService,
    pub vouchers: VoucherService,
    pub audit: AuditService,
    pub idempotency: IdempotencyService,
    pub events: EventService,
}

impl Services {
    pub fn new(deps: Deps) -> Self {
        Self {
            auth: AuthService::new(&deps),
            booking_modes: BookingModeService::new(&deps),
            accounts: AccountService::new(&deps),
            slots: SlotService::new(&deps),
            reservations: ReservationService::new(&deps),
            vouchers: VoucherService::new(&deps),
            audit: AuditService::new(deps.audit.clone()),
            idempotency: IdempotencyService::new(deps.idempotency.clone(), deps.clock.clone()),
            events: EventService::new(
                deps.outbox.clone(),
                deps.clock.clone(),
                deps.event_retention,
            ),
        }
    }
}
