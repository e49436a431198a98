//! First-come hours over HTTP, on both backends: seats at once, the waitlist, promotion of
//! freed seats in join order, the mode switch, and expiry when the booking window closes.

use integration_tests::app::{day, slot, Reply, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::{json, Value};

/// Seats per hour in these tests: small, so that a few requests fill an hour.
const CAPACITY: &str = "100";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &[("APP__BOOKING__SLOT_CAPACITY", CAPACITY)]).await
}

/// `PATCH /api/v1/admin/exam-slots` over the hours `[from, to)` of day `days`.
async fn set_mode(app: &TestApp, admin: &str, days: i64, hours: (i64, i64), mode: &str) -> Reply {
    let body =
        json!({"from": slot(days, hours.0), "to": slot(days, hours.1), "booking_mode": mode});
    app.patch("/api/v1/admin/exam-slots", Some(admin), &body)
        .await
}

/// A request for hour `hour` of day 10, waiting for seats when `waitlist` is set.
async fn ask(app: &TestApp, token: &str, hour: i64, seats: i64, waitlist: bool) -> Reply {
    let body = json!({
        "starts_at": slot(10, hour),
        "ends_at": slot(10, hour + 1),
        "seats": seats,
        "waitlist": waitlist,
    });
    app.post("/api/v1/reservations", Some(token), &body).await
}

/// A request that must be created with `status`: its id.
async fn made(
    app: &TestApp,
    token: &str,
    hour: i64,
    seats: i64,
    waitlist: bool,
    status: &str,
) -> i64 {
    let r = ask(app, token, hour, seats, waitlist).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], status, "{:?}", r.body);
    assert_eq!(r.body["booking_mode"], "first_come");
    r.body["id"].as_i64().expect("id")
}

async fn own(app: &TestApp, token: &str, id: i64) -> Value {
    let r = app
        .get(&format!("/api/v1/reservations/{id}"), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// Hour `hour` of day 10, as admins see it.
async fn admin_slot(app: &TestApp, admin: &str, hour: usize) -> Value {
    let r = app
        .get(
            &format!("/api/v1/admin/exam-slots?date={}", day(10)),
            Some(admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["slots"][hour].clone()
}

async fn a_first_come_seat_is_confirmed_at_once_and_a_freed_one_goes_to_the_waitlist(
    backend: Backend,
) {
    let app = spawn(backend).await;
    let (admin, _) = app.admin().await;
    let r = set_mode(&app, &admin, 10, (0, 24), "first_come").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, json!({"updated": 24}));
    // Setting it again changes nothing.
    let r = set_mode(&app, &admin, 10, (0, 24), "first_come").await;
    assert_eq!(r.body, json!({"updated": 0}));

    let (first, _) = app.user().await;
    let (second, _) = app.user().await;
    let (third, _) = app.user().await;
    let taken = made(&app, &first, 9, 100, false, "confirmed").await;
    assert_eq!(admin_slot(&app, &admin, 9).await["confirmed"], 100);

    // No room and no waitlist: refused, naming the short hour.
    let r = ask(&app, &second, 9, 30, false).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "insufficient_capacity");
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&slot(10, 9))),
        "{:?}",
        r.body
    );

    // With the waitlist: in line, in join order.
    let r = ask(&app, &second, 9, 30, true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        (
            r.body["status"].clone(),
            r.body["waitlist_position"].clone()
        ),
        (json!("waitlisted"), json!(1))
    );
    let waiting_second = r.body["id"].as_i64().expect("id");
    let waiting_third = made(&app, &third, 9, 10, true, "waitlisted").await;
    assert_eq!(
        own(&app, &third, waiting_third).await["waitlist_position"],
        2
    );

    // The full hour stays listed, with its waitlist.
    let r = app
        .get(
            &format!("/api/v1/exam-slots/available?date={}", day(10)),
            Some(&third),
        )
        .await;
    let hour = r.body["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .find(|s| s["starts_at"] == slot(10, 9))
        .cloned()
        .expect("the full first-come hour is listed");
    assert_eq!(
        (
            hour["booking_mode"].clone(),
            hour["remaining"].clone(),
            hour["waitlisted"].clone()
        ),
        (json!("first_come"), json!(0), json!(2))
    );

    // The first candidate cancels: both waiting ones fit, and are confirmed before the 204.
    let r = app
        .delete(&format!("/api/v1/reservations/{taken}"), Some(&first))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    for (token, id) in [(&second, waiting_second), (&third, waiting_third)] {
        let now = own(&app, token, id).await;
        assert_eq!(now["status"], "confirmed", "{now:?}");
        assert!(now.get("waitlist_position").is_none(), "{now:?}");
    }
    let hour = admin_slot(&app, &admin, 9).await;
    assert_eq!(
        (hour["confirmed"].clone(), hour["waitlisted"].clone()),
        (json!(40), json!(0))
    );

    // Each promotion is in the audit trail, with no actor; so is the mode change.
    let r = app
        .get(
            "/api/v1/admin/audit?action=reservation.promoted",
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["total"], 2, "{:?}", r.body);
    assert!(r.body["items"][0]["actor_id"].is_null());
    let r = app
        .get(
            "/api/v1/admin/audit?action=slot.booking_mode_changed",
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["total"], 1, "{:?}", r.body);
    assert_eq!(
        r.body["items"][0]["changes"]["booking_mode"]["after"],
        "first_come"
    );
}

async fn a_waiting_reservation_that_does_not_fit_is_passed_over_for_the_next(backend: Backend) {
    let app = spawn(backend).await;
    let (admin, _) = app.admin().await;
    set_mode(&app, &admin, 10, (0, 24), "first_come").await;
    let (a, _) = app.user().await;
    let (b, _) = app.user().await;
    let (c, _) = app.user().await;
    let (d, _) = app.user().await;
    made(&app, &a, 9, 60, false, "confirmed").await;
    let freed = made(&app, &d, 9, 40, false, "confirmed").await;
    let big = made(&app, &b, 9, 50, true, "waitlisted").await;
    let small = made(&app, &c, 9, 30, true, "waitlisted").await;

    // 40 seats come free: the first in line needs 50 and is passed over; the second fits.
    let r = app
        .delete(&format!("/api/v1/reservations/{freed}"), Some(&d))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(own(&app, &c, small).await["status"], "confirmed");
    let still = own(&app, &b, big).await;
    assert_eq!(
        (still["status"].clone(), still["waitlist_position"].clone()),
        (json!("waitlisted"), json!(1))
    );
    assert_eq!(admin_slot(&app, &admin, 9).await["confirmed"], 90);

    // Its owner leaves the line; an admin lists what waits.
    let r = app
        .get("/api/v1/admin/reservations?status=waitlisted", Some(&admin))
        .await;
    assert_eq!(r.body["total"], 1, "{:?}", r.body);
    assert_eq!(r.body["items"][0]["waitlist_position"], 1);
    let r = app
        .delete(&format!("/api/v1/reservations/{big}"), Some(&b))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(own(&app, &b, big).await["status"], "cancelled");
    assert_eq!(admin_slot(&app, &admin, 9).await["confirmed"], 90);
}

async fn first_come_reservations_follow_their_own_rules(backend: Backend) {
    let app = spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    // Hours 10 and 11 book first-come; 9 and 12 by approval.
    let r = set_mode(&app, &admin, 10, (10, 12), "first_come").await;
    assert_eq!(r.body, json!({"updated": 2}));
    let r = set_mode(&app, &admin, 10, (12, 10), "first_come").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_time_range")
    );

    // Hours of both modes in one request.
    let body = json!({"starts_at": slot(10, 9), "ends_at": slot(10, 11), "seats": 1});
    let r = app.post("/api/v1/reservations", Some(&user), &body).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "mixed_booking_modes")
    );

    // On approval hours the waitlist flag is ignored.
    let r = ask(&app, &user, 9, 1, true).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        (r.body["status"].clone(), r.body["booking_mode"].clone()),
        (json!("pending"), json!("approval"))
    );

    // Several first-come hours at once, all or nothing.
    let body =
        json!({"starts_at": slot(10, 10), "ends_at": slot(10, 12), "seats": 5, "waitlist": false});
    let r = app.post("/api/v1/reservations", Some(&user), &body).await;
    assert_eq!(r.body["status"], "confirmed", "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    assert_eq!(admin_slot(&app, &admin, 11).await["confirmed"], 5);

    // Owners do not edit first-come reservations; admins move them.
    let r = app
        .patch(
            &format!("/api/v1/reservations/{id}"),
            Some(&user),
            &json!({"seats": 6}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "first_come_not_editable")
    );
    let r = app
        .patch(
            &format!("/api/v1/admin/reservations/{id}"),
            Some(&admin),
            &json!({"seats": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(admin_slot(&app, &admin, 10).await["confirmed"], 2);
    // A waiting one is not confirmed by hand.
    let (other, _) = app.user().await;
    made(&app, &other, 10, 98, false, "confirmed").await;
    let waiting = made(&app, &other, 10, 5, true, "waitlisted").await;
    let r = app.confirm(&admin, waiting).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "waitlisted"));

    // Switching back never touches existing reservations.
    let r = set_mode(&app, &admin, 10, (0, 24), "approval").await;
    assert_eq!(r.body, json!({"updated": 2}));
    assert_eq!(own(&app, &other, waiting).await["status"], "waitlisted");
    assert_eq!(own(&app, &user, id).await["status"], "confirmed");
}

async fn a_waiting_reservation_expires_when_the_window_closes_for_it(backend: Backend) {
    let app = spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, user_id) = app.user().await;
    // Made while its start was far enough ahead; now it starts in a day.
    let start = (time::OffsetDateTime::now_utc() + time::Duration::days(1))
        .replace_time(time::Time::MIDNIGHT)
        .unix_timestamp();
    app.store
        .execute_raw(&format!(
            "INSERT INTO reservations (user_id, starts_at, ends_at, seats, status, booking_mode, \
             created_at, updated_at) VALUES ({user_id}, {start}, {}, 3, 'waitlisted', \
             'first_come', {start}, {start})",
            start + 3600
        ))
        .await
        .expect("inserted");
    let r = app.get("/api/v1/reservations", Some(&user)).await;
    let item = &r.body["items"][0];
    assert_eq!(item["status"], "expired", "{:?}", r.body);
    assert!(item.get("waitlist_position").is_none());
    let id = item["id"].as_i64().expect("id");
    let r = app
        .delete(&format!("/api/v1/reservations/{id}"), Some(&user))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "already_expired")
    );

    // A filter on the waitlist's states stores what has expired first, and audits it.
    let r = app
        .get("/api/v1/admin/reservations?status=waitlisted", Some(&admin))
        .await;
    assert_eq!(r.body["total"], 0, "{:?}", r.body);
    let r = app
        .get("/api/v1/admin/reservations?status=expired", Some(&admin))
        .await;
    assert_eq!(r.body["items"][0]["id"], id, "{:?}", r.body);
    let r = app
        .get(
            "/api/v1/admin/audit?action=reservation.expired",
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["total"], 1, "{:?}", r.body);
    assert!(r.body["items"][0]["actor_id"].is_null());
    assert_eq!(r.body["items"][0]["target_id"], id);
}

on_both_backends!(
    a_first_come_seat_is_confirmed_at_once_and_a_freed_one_goes_to_the_waitlist,
    a_waiting_reservation_that_does_not_fit_is_passed_over_for_the_next,
    first_come_reservations_follow_their_own_rules,
    a_waiting_reservation_expires_when_the_window_closes_for_it,
);
