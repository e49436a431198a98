//! The repositories against real databases (PostgreSQL and SQLite): every port method and its
//! error mapping.

use domain::{
    BookingMode, HourRange, PageRequest, ReservationId, ReservationStatus, Role, Seats,
    ServiceOffset, SlotHorizon, UserId, Username,
};
use integration_tests::store::TestStore;
use integration_tests::{on_both_backends, Backend};
use ports::{
    ChangeReservationError, CreateReservationError, CreateUserError, DeleteUserError,
    NewReservation, NewUser, Release, ReservationFilter, UpdateUserError, UserChanges,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2030-01-01 00:00 UTC);
/// Releases at T0; the reservations here are waiting for no one, so any window will do.
const RELEASE: Release = Release {
    now: T0,
    bookable_from: T0,
};

fn at(h: i64) -> OffsetDateTime {
    T0 + Duration::hours(h)
}

fn range(from: i64, to: i64) -> HourRange {
    HourRange::new(at(from), at(to), ServiceOffset::UTC).expect("range")
}

fn seats(n: i64) -> Seats {
    Seats::new(n).expect("seats")
}

/// A database with 48 hourly slots of `capacity` seats from T0.
async fn db_with_slots(backend: Backend, capacity: u32) -> TestStore {
    let db = TestStore::new(backend).await;
    let report = db
        .slots()
        .ensure(
            SlotHorizon::new(T0, Duration::hours(47), ServiceOffset::UTC),
            capacity,
            BookingMode::Approval,
        )
        .await
        .expect("slots");
    assert_eq!(report.created, 48);
    db
}

async fn user(db: &TestStore, name: &str) -> UserId {
    db.users()
        .create(
            NewUser {
                username: Username::parse(name).expect("name"),
                password_hash: "hash".into(),
                role: Role::User,
                created_at: T0,
            },
            None,
        )
        .await
        .expect("user")
        .id
}

async fn reserve(db: &TestStore, user: UserId, from: i64, to: i64, n: i64) -> ReservationId {
    db.reservations()
        .create(NewReservation {
            user_id: user,
            range: range(from, to),
            seats: seats(n),
            now: T0,
            idempotency_key: None,
            waitlist: false,
        })
        .await
        .expect("reservation")
        .id
}

async fn confirmed_at(db: &TestStore, h: i64) -> u32 {
    db.slots()
        .list_between(at(h), at(h + 1))
        .await
        .expect("slots")[0]
        .load
        .confirmed()
}

async fn users_are_created_found_case_insensitively_listed_and_updated(backend: Backend) {
    let db = TestStore::new(backend).await;
    let users = db.users();
    let alice = user(&db, "Alice").await;
    let dup = users
        .create(
            NewUser {
                username: Username::parse("ALICE").expect("name"),
                password_hash: "h".into(),
                role: Role::User,
                created_at: T0,
            },
            None,
        )
        .await;
    assert!(matches!(dup, Err(CreateUserError::DuplicateUsername)));
    let creds = users
        .credentials("aLiCe")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(creds.user.id, alice);
    assert_eq!(creds.user.username.as_str(), "Alice");
    assert_eq!(creds.password_hash, "hash");
    assert!(users.credentials("bob").await.expect("query").is_none());

    let bob = user(&db, "bob").await;
    let page = users
        .list(PageRequest::new(1, 1).expect("page"))
        .await
        .expect("list");
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].id, alice);
    let beyond = users
        .list(PageRequest::new(5, 10).expect("page"))
        .await
        .expect("list");
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 2, "total is right even past the last page");

    let renamed = users
        .update(
            bob,
            UserChanges {
                username: Some(Username::parse("robert").expect("name")),
                ..UserChanges::default()
            },
            None,
        )
        .await
        .expect("renamed");
    assert_eq!(renamed.session_version, 0, "a rename keeps sessions");
    let rehashed = users
        .update(
            bob,
            UserChanges {
                password_hash: Some("new".into()),
                role: Some(Role::Admin),
                ..UserChanges::default()
            },
            None,
        )
        .await
        .expect("updated");
    assert_eq!(rehashed.session_version, 1, "a new password ends sessions");
    assert_eq!(rehashed.role, Role::Admin);
    let taken = users
        .update(
            bob,
            UserChanges {
                username: Some(Username::parse("alice").expect("name")),
                ..UserChanges::default()
            },
            None,
        )
        .await;
    assert!(matches!(taken, Err(UpdateUserError::DuplicateUsername)));
    let missing = users
        .update(UserId(999), UserChanges::default(), None)
        .await;
    assert!(matches!(missing, Err(UpdateUserError::NotFound)));
}

async fn deleting_a_user_cancels_everything_frees_seats_and_frees_the_name(backend: Backend) {
    let db = db_with_slots(backend, 100).await;
    let users = db.users();
    let s = db.reservations();
    let u = user(&db, "carol").await;
    let confirmed = reserve(&db, u, 2, 5, 10).await;
    let pending = reserve(&db, u, 3, 4, 7).await;
    s.confirm(confirmed, T0, confirm_note())
        .await
        .expect("confirmed");
    assert_eq!(confirmed_at(&db, 3).await, 10);

    users.delete(u, RELEASE, None).await.expect("deleted");
    for h in 2..5 {
        assert_eq!(confirmed_at(&db, h).await, 0);
    }
    for id in [confirmed, pending] {
        let r = s.get(id).await.expect("get").expect("kept");
        assert_eq!(
            r.status,
            ReservationStatus::Cancelled,
            "data is kept, cancelled"
        );
    }
    assert!(users.get(u).await.expect("get").is_none());
    assert!(matches!(
        users.delete(u, RELEASE, None).await,
        Err(DeleteUserError::NotFound)
    ));
    // The name is free again.
    user(&db, "carol").await;
}

async fn slots_are_ensured_idempotently_and_listed_in_order(backend: Backend) {
    let db = TestStore::new(backend).await;
    let slots = db.slots();
    let h = SlotHorizon::new(T0, Duration::hours(9), ServiceOffset::UTC);
    let first = slots
        .ensure(h, 50, BookingMode::Approval)
        .await
        .expect("ensure");
    assert_eq!((first.created, first.already_present), (10, 0));
    let again = slots
        .ensure(h, 999, BookingMode::Approval)
        .await
        .expect("ensure");
    assert_eq!((again.created, again.already_present), (0, 10));
    let slots = slots.list_between(at(2), at(5)).await.expect("list");
    assert_eq!(
        slots.iter().map(|s| s.starts_at).collect::<Vec<_>>(),
        vec![at(2), at(3), at(4)]
    );
    assert!(
        slots.iter().all(|s| s.load.capacity() == 50),
        "existing slots never rewritten"
    );
}

async fn create_checks_slots_exist_and_have_room(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let s = db.reservations();
    let u = user(&db, "dave").await;
    let id = reserve(&db, u, 1, 3, 10).await;
    let r = s.get(id).await.expect("get").expect("found");
    assert_eq!(
        (r.status, r.seats.get(), r.range),
        (ReservationStatus::Pending, 10, range(1, 3))
    );
    let too_many = s
        .create(NewReservation {
            user_id: u,
            range: range(1, 2),
            seats: seats(11),
            now: T0,
            idempotency_key: None,
            waitlist: false,
        })
        .await;
    assert!(matches!(
        too_many,
        Err(CreateReservationError::InsufficientCapacity { .. })
    ));
    let missing = s
        .create(NewReservation {
            user_id: u,
            range: range(47, 49),
            seats: seats(1),
            now: T0,
            idempotency_key: None,
            waitlist: false,
        })
        .await;
    assert!(matches!(missing, Err(CreateReservationError::SlotMissing)));
    assert!(s.get(ReservationId(424242)).await.expect("get").is_none());
}

async fn a_batch_of_creates_answers_each_as_one_after_another_would(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let (a, b) = (user(&db, "alice").await, user(&db, "bob").await);
    let id = reserve(&db, a, 3, 4, 10).await;
    db.reservations()
        .confirm(id, T0, confirm_note())
        .await
        .expect("hour 3 is full");
    let ask = |user, from, to, n| NewReservation {
        user_id: user,
        range: range(from, to),
        seats: seats(n),
        now: T0,
        idempotency_key: None,
        waitlist: false,
    };
    let outcomes = db
        .reservations()
        .create_many(vec![
            ask(a, 1, 3, 10),  // fits: every covered hour has 10 free
            ask(b, 2, 4, 1),   // hour 3 is full
            ask(b, 46, 49, 1), // hour 48 has no slot
            ask(b, 1, 2, 10),  // fits: pending seats hold no room
        ])
        .await;
    assert_eq!(outcomes.len(), 4);
    let made: Vec<_> = outcomes
        .iter()
        .map(|o| o.as_ref().map(|r| (r.user_id, r.range, r.seats.get())))
        .collect();
    assert!(matches!(made[0], Ok((u, r, 10)) if u == a && r == range(1, 3)));
    assert!(matches!(
        outcomes[1],
        Err(CreateReservationError::InsufficientCapacity { .. })
    ));
    assert!(matches!(
        outcomes[2],
        Err(CreateReservationError::SlotMissing)
    ));
    assert!(matches!(made[3], Ok((u, r, 10)) if u == b && r == range(1, 2)));
    let stored = db
        .reservations()
        .list(ReservationFilter::default(), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(stored.total, 3);
}

async fn confirm_moves_counters_and_reports_each_refusal(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let s = db.reservations();
    let u = user(&db, "erin").await;
    let a = reserve(&db, u, 1, 3, 6).await;
    let b = reserve(&db, u, 2, 4, 6).await;
    let confirmed = s.confirm(a, T0, confirm_note()).await.expect("confirmed");
    assert_eq!(confirmed.status, ReservationStatus::Confirmed);
    assert_eq!(
        (confirmed_at(&db, 1).await, confirmed_at(&db, 2).await),
        (6, 6)
    );
    assert!(matches!(
        s.confirm(b, T0, confirm_note()).await,
        Err(ChangeReservationError::InsufficientCapacity)
    ));
    assert_eq!(
        confirmed_at(&db, 3).await,
        0,
        "all or nothing: hour 3 untouched"
    );
    assert!(matches!(
        s.confirm(a, T0, confirm_note()).await,
        Err(ChangeReservationError::StatusChanged(
            ReservationStatus::Confirmed
        ))
    ));
    assert!(matches!(
        s.confirm(ReservationId(999), T0, confirm_note()).await,
        Err(ChangeReservationError::NotFound)
    ));
}

async fn a_batch_of_confirms_answers_each_as_one_after_another_would(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let s = db.reservations();
    let u = user(&db, "gail").await;
    let a = reserve(&db, u, 1, 2, 4).await;
    let b = reserve(&db, u, 1, 2, 4).await;
    let c = reserve(&db, u, 1, 2, 4).await;
    let d = reserve(&db, u, 5, 7, 3).await;
    let e = reserve(&db, u, 9, 10, 1).await;
    s.confirm(e, T0, confirm_note())
        .await
        .expect("confirmed alone");
    // The batch's total for hour 1 (12) is over its capacity (10): a and b fit, c does not.
    let asks = [a, b, c, d, e, ReservationId(999), a]
        .into_iter()
        .map(|id| (id, confirm_note()))
        .collect();
    let outcome = s.confirm_many(asks, T0).await;
    assert_eq!(outcome.len(), 7);
    for (i, id) in [(0, a), (1, b), (3, d)] {
        let confirmed = outcome[i].as_ref().expect("confirmed");
        assert_eq!(
            (confirmed.id, confirmed.status),
            (id, ReservationStatus::Confirmed)
        );
    }
    assert!(matches!(
        outcome[2],
        Err(ChangeReservationError::InsufficientCapacity)
    ));
    assert!(matches!(
        outcome[4],
        Err(ChangeReservationError::StatusChanged(
            ReservationStatus::Confirmed
        ))
    ));
    assert!(matches!(outcome[5], Err(ChangeReservationError::NotFound)));
    assert!(
        matches!(
            outcome[6],
            Err(ChangeReservationError::StatusChanged(
                ReservationStatus::Confirmed
            ))
        ),
        "an id asked twice is confirmed once"
    );
    assert_eq!(confirmed_at(&db, 1).await, 8);
    assert_eq!(
        (confirmed_at(&db, 5).await, confirmed_at(&db, 6).await),
        (3, 3)
    );
    assert_eq!(confirmed_at(&db, 7).await, 0);
}

async fn a_batch_of_confirms_that_fits_is_confirmed_whole(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let s = db.reservations();
    let u = user(&db, "hal").await;
    let ids = [
        reserve(&db, u, 1, 2, 5).await,
        reserve(&db, u, 1, 3, 5).await,
        reserve(&db, u, 2, 4, 5).await,
        reserve(&db, u, 20, 21, 10).await,
    ];
    let done = reserve(&db, u, 30, 31, 1).await;
    s.confirm(done, T0, confirm_note())
        .await
        .expect("confirmed alone");
    // Asks the batch leaves out are answered as the one-by-one confirm would.
    let left_out = [ids[0], done, ReservationId(999)];
    let asks = ids
        .iter()
        .chain(&left_out)
        .map(|id| (*id, confirm_note()))
        .collect();
    let outcome = s.confirm_many(asks, T0).await;
    for (confirmed, id) in outcome.iter().zip(ids) {
        assert_eq!(confirmed.as_ref().expect("confirmed").id, id);
    }
    assert!(
        matches!(
            outcome[4],
            Err(ChangeReservationError::StatusChanged(
                ReservationStatus::Confirmed
            ))
        ),
        "an id asked twice is confirmed once"
    );
    assert!(matches!(
        outcome[5],
        Err(ChangeReservationError::StatusChanged(
            ReservationStatus::Confirmed
        ))
    ));
    assert!(matches!(outcome[6], Err(ChangeReservationError::NotFound)));
    let mut counted = Vec::new();
    for h in [1, 2, 3, 20, 30] {
        counted.push(confirmed_at(&db, h).await);
    }
    assert_eq!(counted, [10, 10, 5, 10, 1]);
}

async fn racing_batches_of_confirms_never_pass_the_capacity(backend: Backend) {
    let db = std::sync::Arc::new(db_with_slots(backend, 30).await);
    let u = user(&db, "ivy").await;
    // 80 pending reservations of one seat, some over one hour and some over two or three
    // overlapping hours, confirmed by four batches at once: every slot ends at most full,
    // and each counter equals the seats of the confirms that were answered yes.
    let mut ids = Vec::new();
    for i in 0..80 {
        let (from, to) = match i % 4 {
            0 | 1 => (1, 2),
            2 => (1, 3),
            _ => (2, 4),
        };
        ids.push((reserve(&db, u, from, to, 1).await, from, to));
    }
    let mut tasks = Vec::new();
    for part in ids.chunks(20) {
        let db = db.clone();
        let part = part.to_vec();
        tasks.push(tokio::spawn(async move {
            let asks = part
                .iter()
                .map(|(id, _, _)| (*id, confirm_note()))
                .collect();
            let outcome = db.reservations().confirm_many(asks, T0).await;
            part.into_iter().zip(outcome).collect::<Vec<_>>()
        }));
    }
    let mut taken = [0u32; 5];
    for task in tasks {
        for ((_, from, to), outcome) in task.await.expect("batch") {
            match outcome {
                Ok(_) => {
                    for h in from..to {
                        taken[h as usize] += 1;
                    }
                }
                Err(ChangeReservationError::InsufficientCapacity) => {}
                Err(other) => panic!("unexpected refusal: {other:?}"),
            }
        }
    }
    for h in 1..4 {
        let confirmed = confirmed_at(&db, h).await;
        assert!(confirmed <= 30, "hour {h} past its capacity: {confirmed}");
        assert_eq!(
            confirmed, taken[h as usize],
            "hour {h}: counter and answers disagree"
        );
    }
    assert_eq!(
        confirmed_at(&db, 1).await,
        30,
        "hour 1 has more asking than room"
    );
}

async fn cancel_frees_confirmed_seats_and_is_guarded_on_the_status_seen(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let s = db.reservations();
    let u = user(&db, "fay").await;
    let a = reserve(&db, u, 1, 2, 4).await;
    s.confirm(a, T0, confirm_note()).await.expect("confirmed");
    assert!(matches!(
        s.cancel(a, ReservationStatus::Pending, RELEASE, None).await,
        Err(ChangeReservationError::StatusChanged(
            ReservationStatus::Confirmed
        ))
    ));
    assert_eq!(
        confirmed_at(&db, 1).await,
        4,
        "a refused cancel frees nothing"
    );
    let c = s
        .cancel(a, ReservationStatus::Confirmed, RELEASE, None)
        .await
        .expect("cancelled");
    assert_eq!(c.reservation.status, ReservationStatus::Cancelled);
    assert_eq!(confirmed_at(&db, 1).await, 0);
    let p = reserve(&db, u, 5, 6, 4).await;
    s.cancel(p, ReservationStatus::Pending, RELEASE, None)
        .await
        .expect("cancelled");
    assert!(matches!(
        s.cancel(
            ReservationId(999),
            ReservationStatus::Pending,
            RELEASE,
            None
        )
        .await,
        Err(ChangeReservationError::NotFound)
    ));
}

async fn update_pending_applies_the_create_checks_and_only_while_pending(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let s = db.reservations();
    let u = user(&db, "gus").await;
    let a = reserve(&db, u, 1, 2, 4).await;
    let moved = s
        .update_pending(a, range(5, 7), seats(9), T0, None)
        .await
        .expect("updated");
    assert_eq!((moved.range, moved.seats.get()), (range(5, 7), 9));
    assert!(matches!(
        s.update_pending(a, range(5, 7), seats(11), T0, None).await,
        Err(ChangeReservationError::InsufficientCapacity)
    ));
    assert!(matches!(
        s.update_pending(a, range(47, 49), seats(1), T0, None).await,
        Err(ChangeReservationError::SlotMissing)
    ));
    s.confirm(a, T0, confirm_note()).await.expect("confirmed");
    assert!(matches!(
        s.update_pending(a, range(1, 2), seats(1), T0, None).await,
        Err(ChangeReservationError::StatusChanged(
            ReservationStatus::Confirmed
        ))
    ));
}

async fn move_confirmed_is_all_or_nothing(backend: Backend) {
    let db = db_with_slots(backend, 10).await;
    let s = db.reservations();
    let u = user(&db, "hal").await;
    let a = reserve(&db, u, 1, 3, 6).await;
    let blocker = reserve(&db, u, 4, 5, 6).await;
    s.confirm(a, T0, confirm_note()).await.expect("confirmed");
    s.confirm(blocker, T0, confirm_note())
        .await
        .expect("confirmed");
    // 6 more seats do not fit at hour 4.
    assert!(matches!(
        s.move_confirmed(a, range(3, 5), seats(6), RELEASE, edit_note())
            .await,
        Err(ChangeReservationError::InsufficientCapacity)
    ));
    assert_eq!(
        [confirmed_at(&db, 1).await, confirmed_at(&db, 3).await],
        [6, 0]
    );
    // Overlapping move: hour 2 stays taken, hour 1 freed, hour 3 taken.
    let moved = s
        .move_confirmed(a, range(2, 4), seats(4), RELEASE, edit_note())
        .await
        .expect("moved");
    assert_eq!(moved.reservation.range, range(2, 4));
    assert_eq!(
        [
            confirmed_at(&db, 1).await,
            confirmed_at(&db, 2).await,
            confirmed_at(&db, 3).await
        ],
        [0, 4, 4]
    );
    let p = reserve(&db, u, 8, 9, 1).await;
    assert!(matches!(
        s.move_confirmed(p, range(8, 9), seats(2), RELEASE, edit_note())
            .await,
        Err(ChangeReservationError::StatusChanged(
            ReservationStatus::Pending
        ))
    ));
}

async fn list_filters_pages_and_orders_newest_first(backend: Backend) {
    let db = db_with_slots(backend, 100).await;
    let s = db.reservations();
    let (u, v) = (user(&db, "ivy").await, user(&db, "jon").await);
    let a = reserve(&db, u, 1, 2, 1).await;
    let b = reserve(&db, u, 23, 26, 1).await;
    let c = reserve(&db, v, 30, 31, 1).await;
    s.confirm(b, T0, confirm_note()).await.expect("confirmed");
    let all = |f: ReservationFilter| async move {
        s.list(f, PageRequest::default()).await.expect("list")
    };
    let page = all(ReservationFilter::default()).await;
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![c, b, a]
    );
    let mine = all(ReservationFilter {
        user_id: Some(u),
        ..Default::default()
    })
    .await;
    assert_eq!(mine.total, 2);
    let confirmed = all(ReservationFilter {
        status: Some(ReservationStatus::Confirmed),
        ..Default::default()
    })
    .await;
    assert_eq!(
        confirmed.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![b]
    );
    // Day 2 (hours 24..48) overlaps b (23..26) and c (30..31).
    let day2 = all(ReservationFilter {
        overlapping: Some((at(24), at(48))),
        ..Default::default()
    })
    .await;
    assert_eq!(
        day2.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![c, b]
    );
    let second = s
        .list(
            ReservationFilter::default(),
            PageRequest::new(2, 2).expect("page"),
        )
        .await
        .expect("list");
    assert_eq!((second.items.len(), second.total), (1, 3));
}

async fn the_check_constraint_refuses_any_write_past_capacity(backend: Backend) {
    // The last guard, independent of the application's guarded statements.
    let db = db_with_slots(backend, 10).await;
    let constraint = "exam_slots_confirmed_within_capacity";
    for refused in [
        "UPDATE exam_slots SET confirmed = capacity + 1",
        "UPDATE exam_slots SET confirmed = -1",
    ] {
        let error = db.execute_raw(refused).await.expect_err(refused);
        assert!(error.contains(constraint), "{refused}: {error}");
    }
    assert_eq!(
        db.execute_raw("UPDATE exam_slots SET confirmed = capacity")
            .await,
        Ok(48),
        "a write within the cap goes through"
    );
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    users_are_created_found_case_insensitively_listed_and_updated,
    a_batch_of_confirms_answers_each_as_one_after_another_would,
    a_batch_of_confirms_that_fits_is_confirmed_whole,
    racing_batches_of_confirms_never_pass_the_capacity,
    deleting_a_user_cancels_everything_frees_seats_and_frees_the_name,
    slots_are_ensured_idempotently_and_listed_in_order,
    create_checks_slots_exist_and_have_room,
    a_batch_of_creates_answers_each_as_one_after_another_would,
    confirm_moves_counters_and_reports_each_refusal,
    cancel_frees_confirmed_seats_and_is_guarded_on_the_status_seen,
    update_pending_applies_the_create_checks_and_only_while_pending,
    move_confirmed_is_all_or_nothing,
    list_filters_pages_and_orders_newest_first,
    the_check_constraint_refuses_any_write_past_capacity,
);

fn confirm_note() -> domain::audit::AuditNote {
    integration_tests::test_note(domain::audit::AuditAction::ReservationConfirmed)
}

#[allow(dead_code)]
fn edit_note() -> domain::audit::AuditNote {
    integration_tests::test_note(domain::audit::AuditAction::ReservationEdited)
}
