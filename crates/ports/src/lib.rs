//! The traits the core needs from the outside world, the errors they may return, and the queue
//! that the use cases' group commits and the Redis adapter's batched reads share.
//!
//! Use cases depend only on these traits (as `Arc<dyn Trait>`); adapters implement them. With the
//! `mocks` feature every trait also gets a mockall `Mock*` type for unit tests.

pub mod admission;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod catalog;
pub mod claims;
pub mod clock;
pub mod error;
pub mod group_queue;
pub mod health;
pub mod idempotency;
pub mod lock;
pub mod outbox;
pub mod reconcile;
pub mod reservations;
pub mod slots;
pub mod throttle;
pub mod users;

pub use admission::{Admission, AdmissionGate};
pub use audit::{AuditFilter, AuditLog};
pub use auth::{HashError, IssuedToken, PasswordHasher, TokenClaims, TokenError, Tokens};
pub use cache::{CachedView, DayTag, SharedCache};
pub use catalog::{
    CreateVoucherError, NewVoucher, UpdateVoucherError, VoucherCatalog, VoucherChanges,
};
pub use claims::{ClaimError, RedeemError, UseClaimError, VoucherClaims};
pub use clock::{Clock, SystemClock};
pub use error::BackendError;
pub use health::HealthProbe;
pub use idempotency::{IdempotencyKeys, KeyAges, KeyStart};
pub use lock::{DistributedLock, LockError, LockLease};
pub use outbox::{Outbox, OutboxEvent};
pub use reconcile::{Discrepancy, Reconciliation};
pub use reservations::{
    ChangeReservationError, CreateReservationError, NewReservation, Release, Released,
    ReservationFilter, ReservationOrder, ReservationRepository,
};
pub use slots::{EnsureReport, Slot, SlotRepository};
pub use throttle::{Attempt, Bucket, LoginThrottle, OnSuccess, Throttle, ThrottleLimits};
pub use users::{
    CreateUserError, DeleteUserError, NewUser, StoredCredentials, UpdateUserError, UserChanges,
    UserRepository,
};

#[cfg(feature = "mocks")]
pub mod mocks {
    //! Re-exports every generated mock under one path.
    pub use crate::admission::MockAdmissionGate;
    pub use crate::audit::MockAuditLog;
    pub use crate::auth::{MockPasswordHasher, MockTokens};
    pub use crate::cache::MockSharedCache;
    pub use crate::catalog::MockVoucherCatalog;
    pub use crate::claims::MockVoucherClaims;
    pub use crate::clock::MockClock;
    pub use crate::health::MockHealthProbe;
    pub use crate::idempotency::MockIdempotencyKeys;
    pub use crate::lock::MockDistributedLock;
    pub use crate::outbox::MockOutbox;
    pub use crate::reconcile::MockReconciliation;
    pub use crate::reservations::MockReservationRepository;
    pub use crate::slots::MockSlotRepository;
    pub use crate::throttle::MockLoginThrottle;
    pub use crate::users::MockUserRepository;
}
