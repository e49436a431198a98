//! Races on the real databases (PostgreSQL and SQLite): the cap holds and the counters stay exact whatever the
//! interleaving, and no deadlock surfaces.

use domain::{
    BookingMode, HourRange, ReservationId, ReservationStatus, Role, Seats, ServiceOffset,
    SlotHorizon, UserId, Username,
};
use integration_tests::store::TestStore;
use integration_tests::{on_both_backends, Backend};
use ports::{ChangeReservationError, NewReservation, NewUser, Release, ReservationFilter};
use std::collections::BTreeMap;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2030-01-01 00:00 UTC);
/// Releases at T0; the reservations here are waiting for no one, so any window will do.
const RELEASE: Release = Release {
    now: T0,
    bookable_from: T0,
};
const CAPACITY: u32 = 100;

fn at(h: i64) -> OffsetDateTime {
    T0 + Duration::hours(h)
}

async fn setup(backend: Backend) -> (Arc<TestStore>, UserId) {
    let db = TestStore::new(backend).await;
    db.slots()
        .ensure(
            SlotHorizon::new(T0, Duration::hours(23), ServiceOffset::UTC),
            CAPACITY,
            BookingMode::Approval,
        )
        .await
        .expect("slots");
    let user = db
        .users()
        .create(
            NewUser {
                username: Username::parse("racer").expect("name"),
                password_hash: "h".into(),
                role: Role::User,
                created_at: T0,
            },
            None,
        )
        .await
        .expect("user")
        .id;
    (Arc::new(db), user)
}

async fn pending(db: &TestStore, user: UserId, from: i64, hours: i64, seats: i64) -> ReservationId {
    db.reservations()
        .create(NewReservation {
            user_id: user,
            range: HourRange::new(at(from), at(from + hours), ServiceOffset::UTC).expect("range"),
            seats: Seats::new(seats).expect("seats"),
            now: T0,
            idempotency_key: None,
            waitlist: false,
        })
        .await
        .expect("pending")
        .id
}

/// Each slot's counter, and the same recomputed from the confirmed reservations.
async fn counters(db: &TestStore) -> (BTreeMap<i64, u32>, BTreeMap<i64, u32>) {
    let stored: BTreeMap<i64, u32> = db
        .slots()
        .list_between(at(0), at(24))
        .await
        .expect("slots")
        .into_iter()
        .map(|s| ((s.starts_at - T0).whole_hours(), s.load.confirmed()))
        .collect();
    let mut recomputed: BTreeMap<i64, u32> = stored.keys().map(|h| (*h, 0)).collect();
    let mut page = 1;
    loop {
        let filter = ReservationFilter {
            status: Some(ReservationStatus::Confirmed),
            ..ReservationFilter::default()
        };
        let list = db
            .reservations()
            .list(filter, domain::PageRequest::new(page, 200).expect("page"))
            .await
            .expect("list");
        if list.items.is_empty() {
            break;
        }
        for r in list.items {
            for start in r.range.slot_starts() {
                *recomputed.entry((start - T0).whole_hours()).or_default() += r.seats.get();
            }
        }
        page += 1;
    }
    (stored, recomputed)
}

/// Confirms every id at once; returns (confirmed, refused for capacity).
async fn storm(db: &Arc<TestStore>, ids: Vec<ReservationId>) -> (usize, usize) {
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let db = db.clone();
            tokio::spawn(async move { db.reservations().confirm(id, T0, confirm_note()).await })
        })
        .collect();
    let (mut ok, mut full) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => ok += 1,
            Err(ChangeReservationError::InsufficientCapacity) => full += 1,
            Err(other) => panic!("unexpected error under contention: {other:?}"),
        }
    }
    (ok, full)
}

async fn sixty_four_confirms_racing_on_one_slot_never_exceed_its_capacity(backend: Backend) {
    let (db, user) = setup(backend).await;
    let mut ids = Vec::new();
    for _ in 0..64 {
        ids.push(pending(&db, user, 5, 1, 7).await); // 448 seats asked, 100 allowed
    }
    let (ok, full) = storm(&db, ids).await;
    assert_eq!(ok, 14, "floor(100 / 7) confirms fit");
    assert_eq!(full, 50);
    let (stored, recomputed) = counters(&db).await;
    assert_eq!(stored[&5], 98);
    assert_eq!(stored, recomputed);
}

async fn overlapping_three_hour_confirms_race_without_deadlock_or_overfill(backend: Backend) {
    let (db, user) = setup(backend).await;
    let mut ids = Vec::new();
    for i in 0..96 {
        // Starts at 4, 5, 6 and 7: each hour 6 and 7 is shared by many reservations.
        ids.push(pending(&db, user, 4 + (i % 4), 3, 1 + (i % 9)).await);
    }
    let (ok, full) = storm(&db, ids).await;
    assert_eq!(
        ok + full,
        96,
        "every confirm answered, none with a deadlock"
    );
    assert!(ok > 0 && full > 0);
    let (stored, recomputed) = counters(&db).await;
    assert_eq!(
        stored, recomputed,
        "counters equal the sum of confirmed seats"
    );
    assert!(stored.values().all(|c| *c <= CAPACITY));
}

async fn confirms_cancels_and_moves_interleaved_keep_counters_exact(backend: Backend) {
    let (db, user) = setup(backend).await;
    let mut confirmed = Vec::new();
    for i in 0..30 {
        let id = pending(&db, user, 2 + (i % 5), 2, 5).await;
        if db
            .reservations()
            .confirm(id, T0, confirm_note())
            .await
            .is_ok()
        {
            confirmed.push(id);
        }
    }
    let mut fresh = Vec::new();
    for i in 0..40 {
        fresh.push(pending(&db, user, 3 + (i % 4), 2, 4).await);
    }
    let mut tasks = Vec::new();
    for (i, id) in confirmed.into_iter().enumerate() {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let r = db.reservations();
            if i % 2 == 0 {
                r.cancel(id, ReservationStatus::Confirmed, RELEASE, None)
                    .await
                    .map(|_| ())
            } else {
                let to = HourRange::new(
                    at(8 + (i as i64 % 3)),
                    at(10 + (i as i64 % 3)),
                    ServiceOffset::UTC,
                )
                .expect("range");
                r.move_confirmed(id, to, Seats::new(3).expect("seats"), RELEASE, edit_note())
                    .await
                    .map(|_| ())
            }
        }));
    }
    for id in fresh {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.reservations()
                .confirm(id, T0, confirm_note())
                .await
                .map(|_| ())
        }));
    }
    for t in tasks {
        match t.await.expect("task") {
            Ok(()) | Err(ChangeReservationError::InsufficientCapacity) => {}
            Err(other) => panic!("unexpected error under contention: {other:?}"),
        }
    }
    let (stored, recomputed) = counters(&db).await;
    assert_eq!(stored, recomputed);
    assert!(stored.values().all(|c| *c <= CAPACITY));
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    sixty_four_confirms_racing_on_one_slot_never_exceed_its_capacity,
    overlapping_three_hour_confirms_race_without_deadlock_or_overfill,
    confirms_cancels_and_moves_interleaved_keep_counters_exact,
);

fn confirm_note() -> domain::audit::AuditNote {
    integration_tests::test_note(domain::audit::AuditAction::ReservationConfirmed)
}

#[allow(dead_code)]
fn edit_note() -> domain::audit::AuditNote {
    integration_tests::test_note(domain::audit::AuditAction::ReservationEdited)
}
