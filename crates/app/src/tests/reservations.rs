use super::*;
use crate::error::{AppError, Conflict, Invalid};
use crate::{AdminReservationQuery, ReservationPatch, ReservationRequest};
use domain::{PageRequest, SeatsError, TransitionError, WindowError};
use ports::{BackendError, ChangeReservationError, CreateReservationError, LockError};
use ReservationStatus::*;

const START: OffsetDateTime = datetime!(2026-11-30 10:00 UTC);

/// An approval-style request (no waitlist).
fn ask(starts_at: OffsetDateTime, ends_at: OffsetDateTime, seats: i64) -> ReservationRequest {
    ReservationRequest {
        starts_at,
        ends_at,
        seats,
        waitlist: false,
    }
}

/// An approval slot of 100 seats starting at `start`, with `remaining` left.
fn slot_with(start: OffsetDateTime, remaining: u32) -> ports::Slot {
    ports::Slot {
        starts_at: start,
        load: domain::SlotLoad::new(100, 100 - remaining).expect("load"),
        mode: domain::BookingMode::Approval,
        waitlisted: 0,
    }
}

fn stored(m: &mut Mocks, r: Reservation) {
    let id = r.id;
    m.reservations
        .expect_get()
        .withf(move |i| *i == id)
        .returning(move |_| Ok(Some(r.clone())));
}

#[tokio::test]
async fn create_stores_a_pending_reservation_for_the_actor() {
    let mut m = Mocks::default();
    m.reservations
        .expect_create()
        .withf(|n| n.user_id == OWNER.user_id && n.seats.get() == 5 && n.range.hours() == 2)
        .times(1)
        .returning(|_| Ok(reservation(1, Pending)));
    let r = m
        .services()
        .reservations
        .create(&OWNER, ask(START, START + Duration::hours(2), 5), None)
        .await
        .expect("created");
    assert_eq!(r.status, Pending);
}

#[tokio::test]
async fn create_checks_rules_before_touching_storage() {
    let s = Mocks::default().services().reservations;
    let end = START + Duration::HOUR;
    assert!(matches!(
        s.create(&OWNER, ask(START, end, 0), None).await,
        Err(AppError::Invalid(Invalid::Seats(SeatsError::TooFew)))
    ));
    assert!(matches!(
        s.create(&OWNER, ask(START + Duration::minutes(30), end, 1), None)
            .await,
        Err(AppError::Invalid(Invalid::Range(_)))
    ));
    assert!(matches!(
        s.create(
            &OWNER,
            ask(NOW + Duration::days(1), NOW + Duration::days(2), 1),
            None
        )
        .await,
        Err(AppError::Invalid(_))
    ));
    let soon = datetime!(2026-11-25 10:00 UTC);
    assert!(matches!(
        s.create(&OWNER, ask(soon, soon + Duration::HOUR, 1), None)
            .await,
        Err(AppError::Invalid(Invalid::Window(
            WindowError::StartsTooSoon { .. }
        )))
    ));
}

#[tokio::test]
async fn create_maps_missing_slots_and_full_slots_to_conflicts() {
    let mut m = Mocks::default();
    let mut answers = vec![
        CreateReservationError::InsufficientCapacity { short_hour: None },
        CreateReservationError::SlotMissing,
    ];
    m.reservations
        .expect_create()
        .times(2)
        .returning(move |_| Err(answers.pop().expect("answer")));
    let s = m.services().reservations;
    let end = START + Duration::HOUR;
    assert!(matches!(
        s.create(&OWNER, ask(START, end, 1), None).await,
        Err(AppError::Conflict(Conflict::SlotMissing))
    ));
    assert!(matches!(
        s.create(&OWNER, ask(START, end, 1), None).await,
        Err(AppError::Conflict(Conflict::InsufficientCapacity))
    ));
}

#[tokio::test]
async fn owner_cannot_see_another_users_reservation_it_looks_not_found() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Pending));
    let s = m.services().reservations;
    assert!(matches!(
        s.get_own(&STRANGER, ReservationId(7)).await,
        Err(AppError::NotFound("reservation"))
    ));
}

#[tokio::test]
async fn owner_cannot_edit_or_cancel_another_users_reservation_and_the_lock_is_released() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Pending));
    m.expect_lock_cycle(7);
    let s = m.services().reservations;
    assert!(matches!(
        s.cancel_own(&STRANGER, ReservationId(7)).await,
        Err(AppError::NotFound("reservation"))
    ));

    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Pending));
    m.expect_lock_cycle(7);
    let patch = ReservationPatch {
        seats: Some(2),
        ..ReservationPatch::default()
    };
    assert!(matches!(
        m.services()
            .reservations
            .edit_own(&STRANGER, ReservationId(7), patch)
            .await,
        Err(AppError::NotFound("reservation"))
    ));
}

#[tokio::test]
async fn confirming_an_unknown_reservation_is_not_found() {
    let mut m = Mocks::default();
    m.reservations
        .expect_confirm()
        .returning(|_, _, _| Err(ChangeReservationError::NotFound));
    m.reservations.expect_get().returning(|_| Ok(None));
    assert!(matches!(
        m.services()
            .reservations
            .confirm(&ADMIN, ReservationId(99))
            .await,
        Err(AppError::NotFound("reservation"))
    ));
}

#[tokio::test]
async fn owner_edits_own_pending_reservation_keeping_absent_fields() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Pending));
    m.expect_lock_cycle(7);
    m.reservations
        .expect_update_pending()
        .withf(|id, range, seats, _, note| {
            id.0 == 7
                && range.start() == START
                && range.hours() == 2
                && seats.get() == 9
                && note.is_none()
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(reservation(7, Pending)));
    let patch = ReservationPatch {
        seats: Some(9),
        ..ReservationPatch::default()
    };
    m.services()
        .reservations
        .edit_own(&OWNER, ReservationId(7), patch)
        .await
        .expect("edited");
}

#[tokio::test]
async fn owner_cannot_edit_a_confirmed_reservation_even_if_admin_on_the_owner_route() {
    let mut m = Mocks::default();
    let mut r = reservation(7, Confirmed);
    r.user_id = ADMIN.user_id;
    stored(&mut m, r);
    m.expect_lock_cycle(7);
    let patch = ReservationPatch {
        seats: Some(9),
        ..ReservationPatch::default()
    };
    assert!(matches!(
        m.services()
            .reservations
            .edit_own(&ADMIN, ReservationId(7), patch)
            .await,
        Err(AppError::Conflict(Conflict::Transition(
            TransitionError::EditConfirmedRequiresAdmin
        )))
    ));
}

#[tokio::test]
async fn admin_edit_of_a_confirmed_reservation_moves_its_seats() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Confirmed));
    m.expect_lock_cycle(7);
    m.reservations
        .expect_move_confirmed()
        .withf(|_, range, seats, _, _| range.start() == START + Duration::DAY && seats.get() == 5)
        .times(1)
        .returning(|_, _, _, _, _| Err(ChangeReservationError::InsufficientCapacity));
    // The new hour has room again by the time the refusal is explained: no hour to name.
    m.slots
        .expect_list_between()
        .returning(|from, _| Ok(vec![slot_with(from, 100)]));
    let patch = ReservationPatch {
        starts_at: Some(START + Duration::DAY),
        ends_at: Some(START + Duration::DAY + Duration::HOUR),
        seats: None,
    };
    assert!(matches!(
        m.services()
            .reservations
            .admin_edit(&ADMIN, ReservationId(7), patch)
            .await,
        Err(AppError::Conflict(Conflict::InsufficientCapacity))
    ));
}

#[tokio::test]
async fn admin_edit_reapplies_the_window_rule() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Pending));
    m.expect_lock_cycle(7);
    let soon = datetime!(2026-11-24 10:00 UTC);
    let patch = ReservationPatch {
        starts_at: Some(soon),
        ends_at: Some(soon + Duration::HOUR),
        seats: None,
    };
    assert!(matches!(
        m.services()
            .reservations
            .admin_edit(&ADMIN, ReservationId(7), patch)
            .await,
        Err(AppError::Invalid(Invalid::Window(_)))
    ));
}

#[tokio::test]
async fn owner_cancels_own_pending_reservation() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Pending));
    m.expect_lock_cycle(7);
    m.reservations
        .expect_cancel()
        .withf(|id, expected, _, note| id.0 == 7 && *expected == Pending && note.is_none())
        .times(1)
        .returning(|_, _, _, _| Ok(released(reservation(7, Cancelled))));
    m.services()
        .reservations
        .cancel_own(&OWNER, ReservationId(7))
        .await
        .expect("cancelled");
}

#[tokio::test]
async fn owner_cannot_cancel_a_confirmed_reservation_but_admin_can() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Confirmed));
    m.expect_lock_cycle(7);
    assert!(matches!(
        m.services()
            .reservations
            .cancel_own(&OWNER, ReservationId(7))
            .await,
        Err(AppError::Conflict(Conflict::Transition(
            TransitionError::CancelConfirmedRequiresAdmin
        )))
    ));

    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Confirmed));
    m.expect_lock_cycle(7);
    m.reservations
        .expect_cancel()
        .withf(|_, expected, _, note| {
            *expected == Confirmed
                && note.as_ref().is_some_and(|n| {
                    n.actor == Some(ADMIN.user_id)
                        && n.action == domain::audit::AuditAction::ReservationCancelled
                        && n.target_id == Some(7)
                        && n.changes.len() == 1
                        && n.changes[0].before == "confirmed".into()
                        && n.changes[0].after == "cancelled".into()
                })
        })
        .times(1)
        .returning(|_, _, _, _| Ok(released(reservation(7, Cancelled))));
    m.expect_days_changed(vec![time::macros::date!(2026 - 11 - 30)]);
    m.services()
        .reservations
        .admin_cancel(&ADMIN, ReservationId(7))
        .await
        .expect("cancelled");
}

#[tokio::test]
async fn user_cannot_reach_any_admin_reservation_use_case_nor_take_a_lock() {
    // No expectation is set: any storage or lock call would fail the test.
    let s = Mocks::default().services().reservations;
    let id = ReservationId(7);
    for actor in [OWNER, STRANGER] {
        assert!(matches!(
            s.confirm(&actor, id).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            s.admin_get(&actor, id).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            s.admin_cancel(&actor, id).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            s.admin_edit(&actor, id, ReservationPatch::default()).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            s.admin_list(
                &actor,
                AdminReservationQuery::default(),
                PageRequest::default()
            )
            .await,
            Err(AppError::Forbidden)
        ));
    }
}

#[tokio::test]
async fn confirm_is_one_guarded_call_that_takes_no_lock_and_retags_the_dates() {
    let mut m = Mocks::default();
    m.reservations
        .expect_confirm()
        .withf(|id, _, note| {
            id.0 == 7
                && note.actor == Some(ADMIN.user_id)
                && note.action == domain::audit::AuditAction::ReservationConfirmed
                && note.target_id == Some(7)
        })
        .times(1)
        .returning(|_, _, _| Ok(reservation(7, Confirmed)));
    m.expect_days_changed(vec![time::macros::date!(2026 - 11 - 30)]);
    let r = m
        .services()
        .reservations
        .confirm(&ADMIN, ReservationId(7))
        .await
        .expect("confirmed");
    assert_eq!(r.status, Confirmed);
}

#[tokio::test]
async fn confirm_without_room_is_a_conflict_naming_the_short_hour_and_retags_nothing() {
    let mut m = Mocks::default();
    m.reservations
        .expect_confirm()
        .returning(|_, _, _| Err(ChangeReservationError::InsufficientCapacity));
    stored(&mut m, reservation(7, Pending));
    // The reservation needs 5 seats in 10:00 and 11:00; 11:00 has 3 left.
    m.slots
        .expect_list_between()
        .withf(|from, to| *from == START && *to == START + Duration::hours(2))
        .returning(|from, _| {
            Ok(vec![
                slot_with(from, 50),
                slot_with(from + Duration::HOUR, 3),
            ])
        });
    let refused = m
        .services()
        .reservations
        .confirm(&ADMIN, ReservationId(7))
        .await;
    assert!(
        matches!(refused, Err(AppError::Conflict(Conflict::HourFull(hour))) if hour == START + Duration::HOUR),
        "{refused:?}"
    );
}

#[tokio::test]
async fn confirm_passes_a_storage_failure_on() {
    let mut m = Mocks::default();
    m.reservations
        .expect_confirm()
        .returning(|_, _, _| Err(BackendError::msg("connection reset").into()));
    assert!(matches!(
        m.services()
            .reservations
            .confirm(&ADMIN, ReservationId(7))
            .await,
        Err(AppError::Backend(_))
    ));
}

#[tokio::test]
async fn a_refused_confirm_is_explained_from_the_record() {
    for (status, expected) in [
        (Confirmed, TransitionError::AlreadyConfirmed),
        (Cancelled, TransitionError::AlreadyCancelled),
    ] {
        let mut m = Mocks::default();
        m.reservations
            .expect_confirm()
            .returning(move |_, _, _| Err(ChangeReservationError::StatusChanged(status)));
        stored(&mut m, reservation(7, status));
        let got = m
            .services()
            .reservations
            .confirm(&ADMIN, ReservationId(7))
            .await;
        assert!(
            matches!(got, Err(AppError::Conflict(Conflict::Transition(t))) if t == expected),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn confirm_of_a_started_reservation_is_refused() {
    let mut m = Mocks::default();
    let mut r = reservation(7, Pending);
    r.range =
        HourRange::single(datetime!(2026-11-23 09:00 UTC), ServiceOffset::UTC).expect("range");
    m.reservations
        .expect_confirm()
        .returning(|_, _, _| Err(ChangeReservationError::StatusChanged(Pending)));
    stored(&mut m, r);
    assert!(matches!(
        m.services()
            .reservations
            .confirm(&ADMIN, ReservationId(7))
            .await,
        Err(AppError::Conflict(Conflict::Transition(
            TransitionError::AlreadyStarted
        )))
    ));
}

#[tokio::test]
async fn a_lock_that_cannot_be_had_in_time_is_busy_and_storage_is_untouched() {
    let mut m = Mocks::default();
    m.lock
        .expect_acquire()
        .returning(|_| Err(LockError::Timeout));
    let s = m.services().reservations;
    assert!(matches!(
        s.cancel_own(&OWNER, ReservationId(7)).await,
        Err(AppError::Busy)
    ));
    assert!(matches!(
        s.edit_own(&OWNER, ReservationId(7), ReservationPatch::default())
            .await,
        Err(AppError::Busy)
    ));
}

#[tokio::test]
async fn a_failed_release_does_not_hide_the_outcome() {
    let mut m = Mocks::default();
    stored(&mut m, reservation(7, Pending));
    m.lock.expect_acquire().returning(|k| {
        Ok(LockLease {
            key: k.to_owned(),
            token: "t".into(),
        })
    });
    m.lock
        .expect_release()
        .times(1)
        .returning(|_| Err(LockError::Backend(BackendError::msg("redis gone"))));
    m.reservations
        .expect_cancel()
        .returning(|_, _, _, _| Ok(released(reservation(7, Cancelled))));
    assert!(m
        .services()
        .reservations
        .cancel_own(&OWNER, ReservationId(7))
        .await
        .is_ok());
}

#[tokio::test]
async fn admin_list_filters_a_date_as_the_day_in_the_service_offset() {
    let mut m = Mocks::default();
    m.reservations
        .expect_list()
        .withf(|f, _| {
            f.status == Some(Confirmed)
                && f.user_id == Some(UserId(1))
                && f.order == ports::ReservationOrder::OldestFirst
                && f.overlapping
                    == Some((
                        datetime!(2026-12-01 00:00 UTC),
                        datetime!(2026-12-02 00:00 UTC),
                    ))
        })
        .times(1)
        .returning(|_, p| {
            Ok(domain::Page {
                items: vec![],
                request: p,
                total: 0,
            })
        });
    let q = AdminReservationQuery {
        status: Some(Confirmed),
        user_id: Some(UserId(1)),
        date: Some(time::macros::date!(2026 - 12 - 01)),
        order: ports::ReservationOrder::OldestFirst,
    };
    m.services()
        .reservations
        .admin_list(&ADMIN, q, PageRequest::default())
        .await
        .expect("listed");
}

#[tokio::test]
async fn list_own_only_asks_for_the_actors_reservations() {
    let mut m = Mocks::default();
    m.reservations
        .expect_list()
        .withf(|f, _| f.user_id == Some(OWNER.user_id) && f.status.is_none())
        .times(1)
        .returning(|_, p| {
            Ok(domain::Page {
                items: vec![reservation(1, Pending)],
                request: p,
                total: 1,
            })
        });
    let page = m
        .services()
        .reservations
        .list_own(&OWNER, PageRequest::default())
        .await
        .expect("listed");
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn confirms_that_arrive_together_share_one_write() {
    let mut m = Mocks::default();
    // One write for the three, each with its own audit note; each answer reaches its own
    // caller.
    m.reservations.expect_confirm().never();
    m.reservations
        .expect_confirm_many()
        .withf(|asks, _| {
            asks.iter().map(|(id, note)| (id.0, note.target_id)).eq([
                (7, Some(7)),
                (8, Some(8)),
                (9, Some(9)),
            ])
        })
        .times(1)
        .returning(|_, _| {
            vec![
                Ok(reservation(7, Confirmed)),
                Ok(reservation(8, Confirmed)),
                Err(ChangeReservationError::InsufficientCapacity),
            ]
        });
    m.cache.expect_days_changed().times(2).returning(|_| Ok(()));
    stored(&mut m, reservation(9, Pending));
    m.slots
        .expect_list_between()
        .returning(|_, _| Ok(Vec::new()));
    let services = Arc::new(m.services());
    let confirm = |id: i64| {
        let s = services.clone();
        tokio::spawn(async move { s.reservations.confirm(&ADMIN, ReservationId(id)).await })
    };
    // On this one-thread runtime the tasks run in order once the test yields: 7 starts the
    // writer, and 8 and 9 are queued before the writer first runs.
    let (seven, eight, nine) = (confirm(7), confirm(8), confirm(9));
    assert_eq!(seven.await.expect("task").expect("7").id.0, 7);
    assert_eq!(eight.await.expect("task").expect("8").id.0, 8);
    assert!(matches!(
        nine.await.expect("task"),
        Err(AppError::Conflict(
            crate::error::Conflict::InsufficientCapacity
        ))
    ));
}
