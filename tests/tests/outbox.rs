//! The outbox on both backends: every change leaves its event, in the transaction of the
//! change, with the resource as the API shows it; a change that rolls back leaves none.

use integration_tests::app::{slot, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use ports::OutboxEvent;
use serde_json::{json, Value};

/// Every event so far, oldest first.
async fn events(app: &TestApp) -> Vec<OutboxEvent> {
    app.store
        .outbox()
        .events_after(0, None, 1000)
        .await
        .expect("events")
}

/// The types of the events after the `seen` first ones.
async fn new_types(app: &TestApp, seen: &mut usize) -> Vec<&'static str> {
    let all = events(app).await;
    let fresh = all[*seen..].iter().map(|e| e.kind.as_str()).collect();
    *seen = all.len();
    fresh
}

fn payload(e: &OutboxEvent) -> Value {
    serde_json::from_str(&e.payload).expect("the payload is JSON")
}

/// The latest event's payload equals the resource as `GET path` shows it now (the place in a
/// waitlist is read on demand, never carried).
async fn latest_is_as_read(app: &TestApp, token: &str, path: &str) {
    let latest = events(app).await.pop().expect("an event");
    let mut read = app.get(path, Some(token)).await.body;
    if let Some(fields) = read.as_object_mut() {
        fields.remove("waitlist_position");
    }
    assert_eq!(payload(&latest), read, "{}", latest.kind.as_str());
}

async fn each_reservation_change_leaves_its_event_as_the_api_shows_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("APP__BOOKING__SLOT_CAPACITY", "10")]).await;
    let (admin, _) = app.admin().await;
    let (user, user_id) = app.user().await;
    let mut seen = events(&app).await.len();

    let id = app.reserved(&user, &slot(10, 9), &slot(10, 10), 4).await;
    let path = format!("/api/v1/reservations/{id}");
    assert_eq!(new_types(&app, &mut seen).await, ["reservation.created"]);
    latest_is_as_read(&app, &user, &path).await;
    let created = events(&app).await.pop().expect("event");
    assert_eq!(created.owner, Some(domain::UserId(user_id)));

    let r = app.patch(&path, Some(&user), &json!({"seats": 5})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(new_types(&app, &mut seen).await, ["reservation.moved"]);
    latest_is_as_read(&app, &user, &path).await;

    // Pending seats hold no room: this one is asked for while the first still waits.
    let big = app.reserved(&user, &slot(10, 9), &slot(10, 10), 6).await;
    assert_eq!(new_types(&app, &mut seen).await, ["reservation.created"]);

    assert_eq!(app.confirm(&admin, id).await.status, StatusCode::OK);
    assert_eq!(new_types(&app, &mut seen).await, ["reservation.confirmed"]);
    latest_is_as_read(&app, &user, &path).await;

    // Refused changes roll back whole, and leave no event: a confirm without room, and a move
    // that had already given its old seats back when the new hours refused it.
    assert_eq!(app.confirm(&admin, big).await.status, StatusCode::CONFLICT);
    let blocker = app.reserved(&user, &slot(10, 11), &slot(10, 12), 8).await;
    assert_eq!(app.confirm(&admin, blocker).await.status, StatusCode::OK);
    assert_eq!(
        new_types(&app, &mut seen).await,
        ["reservation.created", "reservation.confirmed"]
    );
    let r = app
        .patch(
            &format!("/api/v1/admin/reservations/{id}"),
            Some(&admin),
            &json!({"starts_at": slot(10, 11), "ends_at": slot(10, 12)}),
        )
        .await;
    assert_eq!(r.code(), "insufficient_capacity");
    assert_eq!(new_types(&app, &mut seen).await, Vec::<&str>::new());

    let r = app
        .delete(&format!("/api/v1/admin/reservations/{id}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(new_types(&app, &mut seen).await, ["reservation.cancelled"]);
    latest_is_as_read(&app, &user, &path).await;
}

async fn first_come_changes_leave_theirs(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("APP__BOOKING__SLOT_CAPACITY", "10")]).await;
    let (admin, _) = app.admin().await;
    let (first, _) = app.user().await;
    let (second, _) = app.user().await;
    let body = json!({"from": slot(10, 0), "to": slot(10, 24), "booking_mode": "first_come"});
    let r = app
        .patch("/api/v1/admin/exam-slots", Some(&admin), &body)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut seen = events(&app).await.len();

    let ask = |seats: i64| json!({"starts_at": slot(10, 9), "ends_at": slot(10, 10), "seats": seats, "waitlist": true});
    let taken = app
        .post("/api/v1/reservations", Some(&first), &ask(10))
        .await;
    assert_eq!(
        new_types(&app, &mut seen).await,
        ["reservation.created", "reservation.confirmed"]
    );
    let waiting = app
        .post("/api/v1/reservations", Some(&second), &ask(3))
        .await;
    assert_eq!(waiting.body["status"], "waitlisted");
    assert_eq!(
        new_types(&app, &mut seen).await,
        ["reservation.created", "reservation.waitlisted"]
    );
    let r = app
        .delete(
            &format!("/api/v1/reservations/{}", taken.body["id"]),
            Some(&first),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        new_types(&app, &mut seen).await,
        ["reservation.cancelled", "reservation.promoted"]
    );
    latest_is_as_read(
        &app,
        &second,
        &format!("/api/v1/reservations/{}", waiting.body["id"]),
    )
    .await;
}

async fn claims_redemptions_and_sell_outs_leave_theirs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (reader, _) = app.user().await;
    let voucher = app.voucher(&admin, "LAST-ONE", 1).await;
    let mut seen = events(&app).await.len();

    let claim = app.claim(&reader, voucher).await;
    assert_eq!(claim.status, StatusCode::CREATED);
    // One transaction, two events (in the order its statements ran).
    let mut kinds = new_types(&app, &mut seen).await;
    kinds.sort_unstable();
    assert_eq!(kinds, ["voucher.claimed", "voucher.sold_out"]);
    let all = events(&app).await;
    let of = |kind: &str| {
        let e = all
            .iter()
            .find(|e| e.kind.as_str() == kind)
            .expect("the event");
        payload(e)
    };
    assert_eq!(
        of("voucher.claimed"),
        claim.body,
        "the claim as its claimer got it"
    );
    let sold_out = of("voucher.sold_out");
    assert_eq!(
        (
            sold_out["id"].clone(),
            sold_out["remaining"].clone(),
            sold_out["status"].clone()
        ),
        (json!(voucher), json!(0), json!("sold_out"))
    );
    assert_eq!(sold_out["book"]["title"], "Dune");

    let r = app
        .post(
            "/api/v1/admin/redemptions",
            Some(&admin),
            &json!({"code": claim.body["code"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(new_types(&app, &mut seen).await, ["claim.redeemed"]);
    let redeemed = payload(&events(&app).await.pop().expect("event"));
    let mine = app.get("/api/v1/users/me/vouchers", Some(&reader)).await;
    assert_eq!(redeemed, mine.body["items"][0]);

    // Past the retention period events go; within it they stay.
    let outbox = app.store.outbox();
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        outbox
            .purge(now - time::Duration::days(7))
            .await
            .expect("purge"),
        0
    );
    assert!(
        outbox
            .purge(now + time::Duration::minutes(1))
            .await
            .expect("purge")
            >= 3
    );
    assert!(events(&app).await.is_empty());
}

on_both_backends!(
    each_reservation_change_leaves_its_event_as_the_api_shows_it,
    first_come_changes_leave_theirs,
    claims_redemptions_and_sell_outs_leave_theirs,
);
