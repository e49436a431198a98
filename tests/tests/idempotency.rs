//! Idempotency keys on the two user-facing creates: a retry gets the first answer, never a
//! second reservation or claim, across instances and restarts.

use integration_tests::app::{slot, Reply, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::{json, Value};

fn booking(day: i64, seats: i64) -> Value {
    json!({"starts_at": slot(day, 9), "ends_at": slot(day, 10), "seats": seats})
}

async fn keyed(app: &TestApp, path: &str, token: &str, key: &str, body: Option<&Value>) -> Reply {
    let (content_type, bytes) = match body {
        Some(b) => (Some("application/json"), Some(b.to_string().into_bytes())),
        None => (None, None),
    };
    app.send(
        "POST",
        path,
        Some(token),
        content_type,
        bytes,
        &[("Idempotency-Key", key)],
    )
    .await
}

async fn own_reservations(app: &TestApp, token: &str) -> i64 {
    let r = app.get("/api/v1/reservations", Some(token)).await;
    r.body["total"].as_i64().expect("total")
}

async fn a_retried_reservation_is_made_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _) = app.user().await;
    let path = "/api/v1/reservations";

    let first = keyed(&app, path, &alice, "order-1", Some(&booking(10, 2))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    // The same body in another key order is the same request.
    let reordered = r#"{"seats": 2, "ends_at": "END", "starts_at": "START"}"#
        .replace("END", &slot(10, 10))
        .replace("START", &slot(10, 9));
    let again = app
        .send(
            "POST",
            path,
            Some(&alice),
            Some("application/json"),
            Some(reordered.into_bytes()),
            &[("Idempotency-Key", "order-1")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body, "the first answer, replayed");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(own_reservations(&app, &alice).await, 1);

    // The same key with another body is refused; nothing is created.
    let reused = keyed(&app, path, &alice, "order-1", Some(&booking(10, 3))).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.code(), "idempotency_key_reused");
    assert_eq!(own_reservations(&app, &alice).await, 1);

    // Keys belong to their user.
    let (bob, _) = app.user().await;
    let bobs = keyed(&app, path, &bob, "order-1", Some(&booking(10, 2))).await;
    assert_eq!(bobs.status, StatusCode::CREATED);
    assert_ne!(bobs.body["id"], first.body["id"]);

    // A refusal is an answer too, and is replayed as given.
    let far = keyed(&app, path, &alice, "order-2", Some(&booking(200, 1))).await;
    assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY);
    let far_again = keyed(&app, path, &alice, "order-2", Some(&booking(200, 1))).await;
    assert_eq!(far_again.body, far.body);
    assert_eq!(far_again.content_type, "application/problem+json");

    // A malformed body is judged before the key is taken.
    let bad = app
        .send(
            "POST",
            path,
            Some(&alice),
            Some("application/json"),
            Some(b"{".to_vec()),
            &[("Idempotency-Key", "order-3")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let good = keyed(&app, path, &alice, "order-3", Some(&booking(11, 1))).await;
    assert_eq!(good.status, StatusCode::CREATED, "{:?}", good.body);

    for key in ["", &"k".repeat(256), "has space"] {
        let r = keyed(&app, path, &alice, key, Some(&booking(12, 1))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{key:?}");
        assert_eq!(r.code(), "invalid_idempotency_key");
    }
}

async fn a_double_click_makes_one_reservation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _) = app.user().await;
    let body = booking(10, 1);
    for round in 0..5 {
        let key = format!("double-click-{round}");
        let (a, b) = tokio::join!(
            keyed(&app, "/api/v1/reservations", &alice, &key, Some(&body)),
            keyed(&app, "/api/v1/reservations", &alice, &key, Some(&body)),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        // Either the second saw the first still running, or it got the first's answer.
        assert!(
            statuses == [StatusCode::CREATED, StatusCode::CREATED]
                || statuses == [StatusCode::CREATED, StatusCode::CONFLICT],
            "{statuses:?}: {:?} {:?}",
            a.body,
            b.body
        );
        for reply in [&a, &b] {
            if reply.status == StatusCode::CONFLICT {
                assert_eq!(reply.code(), "idempotency_key_in_progress");
            }
        }
        if a.status == b.status {
            assert_eq!(a.body["id"], b.body["id"]);
        }
        assert_eq!(
            own_reservations(&app, &alice).await,
            round + 1,
            "one per double click"
        );
    }
}

async fn a_replay_survives_a_restart_and_reaches_every_instance(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let (admin, _) = first.admin().await;
    let voucher = first.voucher(&admin, "DUNE-1", 10).await;
    let claim = format!("/api/v1/events/{voucher}/claim");
    let (alice, _) = first.user().await;
    let claimed = keyed(&first, &claim, &alice, "tap-1", None).await;
    assert_eq!(claimed.status, StatusCode::CREATED, "{:?}", claimed.body);
    let booked = keyed(
        &first,
        "/api/v1/reservations",
        &alice,
        "book-1",
        Some(&booking(10, 1)),
    )
    .await;
    assert_eq!(booked.status, StatusCode::CREATED);

    // The first process goes away; a new one answers the retries from the database.
    let second = first.another_instance().await;
    drop(first);
    let replayed = keyed(&second, &claim, &alice, "tap-1", None).await;
    assert_eq!(
        replayed.status,
        StatusCode::CREATED,
        "not already_claimed: {:?}",
        replayed.body
    );
    assert_eq!(replayed.body["code"], claimed.body["code"]);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    let rebooked = keyed(
        &second,
        "/api/v1/reservations",
        &alice,
        "book-1",
        Some(&booking(10, 1)),
    )
    .await;
    assert_eq!(rebooked.body, booked.body);
    assert_eq!(own_reservations(&second, &alice).await, 1);
    // Without a key, a second press is the usual answer.
    let plain = second.call("POST", &claim, Some(&alice), None).await;
    assert_eq!(plain.code(), "already_claimed");
}

async fn a_crash_between_the_commit_and_the_answer_cannot_make_a_second_reservation(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (alice, alice_id) = app.user().await;
    let actor = domain::Actor {
        user_id: domain::UserId(alice_id),
        role: domain::Role::User,
        client: None,
    };
    // What a process did before it died: took the key and committed the reservation, but never
    // stored its answer.
    let key = app::IdempotencyKey::parse(b"order-crash").expect("key");
    let (starts, ends) = (slot(10, 9), slot(10, 10));
    let fingerprint = format!(
        "POST /api/v1/reservations\n{{\"ends_at\":\"{ends}\",\"seats\":2,\"starts_at\":\"{starts}\"}}"
    );
    let begun = app
        .services
        .idempotency
        .begin(actor.user_id, &key, &fingerprint)
        .await
        .expect("key taken");
    assert_eq!(begun, app::Begun::Fresh);
    let rfc = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .expect("time")
    };
    let made = app
        .services
        .reservations
        .create(
            &actor,
            app::ReservationRequest {
                starts_at: rfc(&starts),
                ends_at: rfc(&ends),
                seats: 2,
                waitlist: false,
            },
            Some(&key),
        )
        .await
        .expect("committed");

    // The client retries at once, without waiting for the key to expire.
    let retry = keyed(
        &app,
        "/api/v1/reservations",
        &alice,
        "order-crash",
        Some(&booking(10, 2)),
    )
    .await;
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.body);
    assert_eq!(retry.body["id"], made.id.0, "the reservation that was made");
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(own_reservations(&app, &alice).await, 1);
    // And that answer is kept for the retries after it.
    let again = keyed(
        &app,
        "/api/v1/reservations",
        &alice,
        "order-crash",
        Some(&booking(10, 2)),
    )
    .await;
    assert_eq!(again.body, retry.body);
    assert_eq!(own_reservations(&app, &alice).await, 1);
}

async fn two_idempotency_keys_on_one_request_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _) = app.user().await;
    let body = booking(10, 2).to_string().into_bytes();
    let r = app
        .send(
            "POST",
            "/api/v1/reservations",
            Some(&alice),
            Some("application/json"),
            Some(body),
            &[("Idempotency-Key", "first"), ("Idempotency-Key", "second")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert!(r.body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("one Idempotency-Key"));
    assert_eq!(own_reservations(&app, &alice).await, 0, "nothing was done");
}

on_both_backends!(
    a_crash_between_the_commit_and_the_answer_cannot_make_a_second_reservation,
    two_idempotency_keys_on_one_request_are_refused,
    a_retried_reservation_is_made_once,
    a_double_click_makes_one_reservation,
    a_replay_survives_a_restart_and_reaches_every_instance,
);
