//! Use-case tests against mockall mocks of every port.
//!
//! Each test states the calls it expects; mockall fails the test on any unexpected call and, on
//! drop, on any expected call that did not happen (that is how "the lock is released on every
//! path" and "storage is never reached" are checked).

mod accounts;
mod auth;
mod reservations;
mod slots;
mod vouchers;

use crate::{BookingPolicy, Deps, Services};
use domain::{
    Actor, BookingMode, HourRange, Reservation, ReservationId, ReservationStatus, Role, Seats,
    ServiceOffset, User, UserId, Username,
};
use ports::mocks::*;
use ports::LockLease;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const NOW: OffsetDateTime = datetime!(2026-11-23 09:30 UTC);

pub const OWNER: Actor = Actor {
    user_id: UserId(1),
    role: Role::User,
    client: None,
};
pub const STRANGER: Actor = Actor {
    user_id: UserId(2),
    role: Role::User,
    client: None,
};
pub const ADMIN: Actor = Actor {
    user_id: UserId(3),
    role: Role::Admin,
    client: None,
};

/// One mock per port; tests set expectations, then `services()` wires them.
#[derive(Default)]
pub struct Mocks {
    pub users: MockUserRepository,
    pub slots: MockSlotRepository,
    pub reservations: MockReservationRepository,
    pub lock: MockDistributedLock,
    pub hasher: MockPasswordHasher,
    pub tokens: MockTokens,
    pub cache: MockSharedCache,
    pub throttle: MockLoginThrottle,
    pub catalog: MockVoucherCatalog,
    pub claims: MockVoucherClaims,
    pub gate: MockAdmissionGate,
    pub audit: MockAuditLog,
    pub idempotency: MockIdempotencyKeys,
    pub outbox: MockOutbox,
    /// The test sets the throttle's and the device tokens' expectations itself.
    pub own_throttle: bool,
}

impl Mocks {
    pub fn services(mut self) -> Services {
        if !self.own_throttle {
            // Log-in throttling has its own adapter tests; here it lets everything through,
            // and no browser is trusted yet.
            self.throttle
                .expect_reserve()
                .returning(|_| Ok(ports::Throttle::Reserved));
            self.throttle.expect_succeeded().returning(|_| Ok(()));
            self.throttle.expect_give_back().returning(|_| Ok(()));
            self.tokens.expect_verify_device().returning(|_, _, _| None);
            self.tokens
                .expect_issue_device()
                .returning(|_, _| Ok("device".into()));
        }
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        Services::new(Deps {
            users: Arc::new(self.users),
            slots: Arc::new(self.slots),
            reservations: Arc::new(self.reservations),
            lock: Arc::new(self.lock),
            clock: Arc::new(clock),
            hasher: Arc::new(self.hasher),
            tokens: Arc::new(self.tokens),
            cache: Arc::new(self.cache),
            throttle: Arc::new(self.throttle),
            catalog: Arc::new(self.catalog),
            claims: Arc::new(self.claims),
            gate: Arc::new(self.gate),
            audit: Arc::new(self.audit),
            idempotency: Arc::new(self.idempotency),
            outbox: Arc::new(self.outbox),
            policy: BookingPolicy {
                offset: ServiceOffset::UTC,
                ..BookingPolicy::default()
            },
            event_retention: Duration::days(7),
        })
    }

    /// The dates of a counter change are retagged exactly once.
    pub fn expect_days_changed(&mut self, days: Vec<time::Date>) {
        self.cache
            .expect_days_changed()
            .withf(move |d| d == days.as_slice())
            .times(1)
            .returning(|_| Ok(()));
    }

    /// A change of user `id`'s account re-reads its session state and pushes it to the cache.
    pub fn expect_session_push(&mut self, id: i64) {
        self.users
            .expect_session_state()
            .withf(move |u, _| *u == UserId(id))
            .times(1)
            .returning(move |u, _| {
                Ok(Some(domain::SessionState {
                    user_id: u,
                    version: 2,
                    role: Role::User,
                    session_version: 0,
                    deleted: false,
                    revoked: vec![],
                }))
            });
        self.cache
            .expect_keep_session()
            .withf(move |s| s.user_id == UserId(id) && s.version == 2)
            .times(1)
            .returning(|_| Ok(()));
    }

    /// The lock on `reservation:<id>` is taken once and released once with the same lease.
    pub fn expect_lock_cycle(&mut self, id: i64) {
        let key = format!("reservation:{id}");
        let lease = LockLease {
            key: key.clone(),
            token: "t".into(),
        };
        let expected = lease.clone();
        self.lock
            .expect_acquire()
            .withf(move |k| k == key)
            .times(1)
            .returning(move |_| Ok(lease.clone()));
        self.lock
            .expect_release()
            .withf(move |l| *l == expected)
            .times(1)
            .returning(|_| Ok(()));
    }
}

pub fn user(id: i64, role: Role) -> User {
    User {
        id: UserId(id),
        username: Username::parse(&format!("user{id}")).expect("valid"),
        role,
        created_at: NOW,
        session_version: 0,
    }
}

/// A reservation owned by OWNER, a week ahead, for 5 seats over 2 hours.
pub fn reservation(id: i64, status: ReservationStatus) -> Reservation {
    let start = datetime!(2026-11-30 10:00 UTC);
    Reservation {
        id: ReservationId(id),
        user_id: OWNER.user_id,
        range: HourRange::new(start, start + Duration::hours(2), ServiceOffset::UTC)
            .expect("range"),
        seats: Seats::new(5).expect("seats"),
        status,
        mode: BookingMode::Approval,
        waitlist_position: None,
        created_at: NOW,
        updated_at: NOW,
    }
}

/// A release that promoted nobody.
pub fn released(reservation: Reservation) -> ports::Released {
    ports::Released {
        reservation,
        promoted: Vec::new(),
    }
}
