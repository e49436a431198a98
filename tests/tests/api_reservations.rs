//! End to end over HTTP: slots, reservations, confirmation and the seat counters.

use integration_tests::app::{day, slot, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::{json, Value};

fn reservation(start: &str, end: &str, seats: i64) -> Value {
    json!({"starts_at": start, "ends_at": end, "seats": seats})
}

async fn slot_confirmed(app: &TestApp, admin: &str, days: i64, hour: usize) -> i64 {
    let r = app
        .get(
            &format!("/api/v1/admin/exam-slots?date={}", day(days)),
            Some(admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.body["slots"][hour]["confirmed"]
        .as_i64()
        .expect("confirmed")
}

async fn available_lists_every_hour_of_a_date_inside_the_window(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.user().await;
    let r = app
        .get(
            &format!("/api/v1/exam-slots/available?date={}", day(10)),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["date"], day(10));
    let slots = r.body["slots"].as_array().expect("slots");
    assert_eq!(slots.len(), 24);
    assert_eq!(slots[0]["starts_at"], slot(10, 0));
    assert_eq!(slots[0]["ends_at"], slot(10, 1));
    assert_eq!(slots[0]["capacity"], 50_000);
    assert_eq!(slots[0]["confirmed"], 0);
    assert_eq!(slots[0]["remaining"], 50_000);
}

async fn available_for_the_edge_dates_lists_only_bookable_hours(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.user().await;
    // Three days from today: the hours before now + 3 days are not bookable.
    let r = app
        .get(
            &format!("/api/v1/exam-slots/available?date={}", day(3)),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let earliest = time::OffsetDateTime::now_utc() + time::Duration::days(3);
    for s in r.body["slots"].as_array().expect("slots") {
        let start = time::OffsetDateTime::parse(
            s["starts_at"].as_str().expect("start"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("rfc3339");
        assert!(start >= earliest);
    }
    assert!(r.body["slots"].as_array().expect("slots").len() < 24);
}

async fn available_rejects_dates_outside_the_window_and_malformed_dates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.user().await;
    for (query, status) in [
        (format!("date={}", day(1)), 422),
        (format!("date={}", day(200)), 422),
        ("date=2026-02-30".to_owned(), 400),
        ("date=tomorrow".to_owned(), 400),
        ("date=".to_owned(), 400),
        (String::new(), 400),
    ] {
        let r = app
            .get(
                &format!("/api/v1/exam-slots/available?{query}"),
                Some(&token),
            )
            .await;
        assert_eq!(r.status.as_u16(), status, "{query}");
        assert_eq!(r.content_type, "application/problem+json");
    }
}

async fn create_returns_a_pending_reservation_and_validates_every_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, user_id) = app.user().await;
    let r = app.reserve(&token, &slot(10, 9), &slot(10, 12), 30).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["user_id"], user_id);
    assert_eq!(r.body["seats"], 30);
    assert_eq!(r.body["starts_at"], slot(10, 9));
    assert_eq!(r.body["ends_at"], slot(10, 12));

    let half_past = slot(10, 9).replace(":00:00Z", ":30:00Z");
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            reservation(&slot(10, 9), &slot(10, 10), 0),
            422,
            "invalid_seats",
        ),
        (
            reservation(&slot(10, 9), &slot(10, 10), 50_001),
            422,
            "invalid_seats",
        ),
        (
            reservation(&slot(10, 9), &slot(10, 10), 99_999_999_999),
            422,
            "invalid_seats",
        ),
        (
            reservation(&half_past, &slot(10, 10), 1),
            422,
            "invalid_time_range",
        ),
        (
            reservation(&slot(10, 9), &slot(10, 9), 1),
            422,
            "invalid_time_range",
        ),
        (
            reservation(&slot(10, 9), &slot(10, 8), 1),
            422,
            "invalid_time_range",
        ),
        (
            reservation(&slot(1, 9), &slot(1, 10), 1),
            422,
            "outside_booking_window",
        ),
        (
            reservation(&slot(95, 9), &slot(95, 10), 1),
            422,
            "outside_booking_window",
        ),
        (
            json!({"starts_at": "2026-12-10T09:00:00", "ends_at": "2026-12-10T10:00:00", "seats": 1}),
            400,
            "malformed_request",
        ),
        (
            json!({"starts_at": slot(10, 9), "ends_at": slot(10, 10), "seats": 1e30}),
            400,
            "malformed_request",
        ),
        (
            json!({"starts_at": slot(10, 9), "ends_at": slot(10, 10), "seats": "3"}),
            400,
            "malformed_request",
        ),
        (
            json!({"starts_at": slot(10, 9), "seats": 1}),
            400,
            "malformed_request",
        ),
        (
            json!({"starts_at": slot(10, 9), "ends_at": slot(10, 10), "seats": 1, "x": 1}),
            400,
            "malformed_request",
        ),
    ];
    for (body, status, code) in cases {
        let r = app.post("/api/v1/reservations", Some(&token), &body).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {:?}", r.body);
        assert_eq!(r.code(), code, "{body}");
    }
}

async fn create_is_a_conflict_when_a_slot_is_missing(backend: Backend) {
    // Slots exist only 10 days ahead; the window still reaches 90.
    let app = TestApp::spawn_with(backend, &[("APP__BOOKING__HORIZON_DAYS", "10")]).await;
    let (token, _) = app.user().await;
    let r = app.reserve(&token, &slot(20, 9), &slot(20, 10), 1).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "slot_missing");
}

async fn owners_see_edit_and_cancel_only_their_own_reservations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _) = app.user().await;
    let (bob, _) = app.user().await;
    let id = app.reserved(&alice, &slot(10, 9), &slot(10, 11), 5).await;
    let path = format!("/api/v1/reservations/{id}");

    assert_eq!(app.get(&path, Some(&alice)).await.status, StatusCode::OK);
    for r in [
        app.get(&path, Some(&bob)).await,
        app.patch(&path, Some(&bob), &json!({"seats": 2})).await,
        app.delete(&path, Some(&bob)).await,
        app.get("/api/v1/reservations/999999", Some(&alice)).await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.code(), "not_found");
    }
    let r = app.get("/api/v1/reservations/abc", Some(&alice)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let list = app.get("/api/v1/reservations", Some(&bob)).await;
    assert_eq!(list.body["total"], 0);
    let list = app.get("/api/v1/reservations", Some(&alice)).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["page"], 1);
    assert_eq!(list.body["per_page"], 50);

    // PATCH is partial: the times stay, the seats change.
    let r = app.patch(&path, Some(&alice), &json!({"seats": 7})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["seats"], 7);
    assert_eq!(r.body["starts_at"], slot(10, 9));
    let r = app
        .patch(&path, Some(&alice), &json!({"seats": null}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .patch(&path, Some(&alice), &json!({"ends_at": slot(10, 8)}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        app.delete(&path, Some(&alice)).await.status,
        StatusCode::NO_CONTENT
    );
    let r = app.delete(&path, Some(&alice)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_cancelled");
    let r = app.patch(&path, Some(&alice), &json!({"seats": 2})).await;
    assert_eq!(r.code(), "already_cancelled");
}

async fn own_list_is_newest_first_and_paginated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.user().await;
    let mut ids = Vec::new();
    for h in 0..5 {
        let r = app.reserve(&token, &slot(10, h), &slot(10, h + 1), 1).await;
        ids.push(r.body["id"].as_i64().expect("id"));
    }
    let r = app
        .get("/api/v1/reservations?page=2&per_page=2", Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["total"], 5);
    let got: Vec<i64> = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(got, vec![ids[2], ids[1]]);
    for q in ["page=0", "per_page=0", "per_page=201", "page=x", "page=-1"] {
        let r = app
            .get(&format!("/api/v1/reservations?{q}"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
    }
}

async fn confirm_counts_seats_and_refuses_what_does_not_fit(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("APP__BOOKING__SLOT_CAPACITY", "100")]).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    let (from, to) = (slot(10, 9), slot(10, 11));
    let a = app.reserved(&user, &from, &to, 60).await;
    let b = app.reserved(&user, &from, &to, 50).await;

    let r = app.confirm(&admin, a).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "confirmed");
    assert_eq!(slot_confirmed(&app, &admin, 10, 9).await, 60);
    assert_eq!(slot_confirmed(&app, &admin, 10, 10).await, 60);
    assert_eq!(slot_confirmed(&app, &admin, 10, 11).await, 0);

    let r = app.confirm(&admin, b).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "insufficient_capacity");
    // The refusal names the first hour that is short, for the pages to say.
    assert_eq!(r.body["short_hour"], from.as_str());
    let r = app.confirm(&admin, a).await;
    assert_eq!(r.code(), "already_confirmed");

    // The owner may no longer touch a confirmed reservation.
    let r = app
        .delete(&format!("/api/v1/reservations/{a}"), Some(&user))
        .await;
    assert_eq!(r.code(), "cancel_requires_admin");
    let r = app
        .patch(
            &format!("/api/v1/reservations/{a}"),
            Some(&user),
            &json!({"seats": 1}),
        )
        .await;
    assert_eq!(r.code(), "edit_requires_admin");

    // Availability shows what is left: 40 seats at 09:00.
    let r = app
        .get(
            &format!("/api/v1/exam-slots/available?date={}", day(10)),
            Some(&user),
        )
        .await;
    assert_eq!(r.body["slots"][9]["remaining"], 40);

    // A new request bigger than what remains is refused at creation.
    let r = app.reserve(&user, &from, &to, 41).await;
    assert_eq!(r.code(), "insufficient_capacity");
}

async fn admin_edit_moves_confirmed_seats_atomically_and_cancel_frees_them(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("APP__BOOKING__SLOT_CAPACITY", "100")]).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    let a = app.reserved(&user, &slot(10, 9), &slot(10, 10), 70).await;
    let blocker = app.reserved(&user, &slot(10, 12), &slot(10, 13), 50).await;
    for id in [a, blocker] {
        let r = app.confirm(&admin, id).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let path = format!("/api/v1/admin/reservations/{a}");

    // 70 seats do not fit next to the 50 at 12:00: nothing moves.
    let r = app
        .patch(
            &path,
            Some(&admin),
            &json!({"starts_at": slot(10, 11), "ends_at": slot(10, 13)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "insufficient_capacity");
    assert_eq!(r.body["short_hour"], slot(10, 12).as_str());
    assert_eq!(slot_confirmed(&app, &admin, 10, 9).await, 70);
    assert_eq!(slot_confirmed(&app, &admin, 10, 11).await, 0);

    // 50 seats fit: they leave 09:00 and land on 11:00 and 12:00.
    let r = app
        .patch(
            &path,
            Some(&admin),
            &json!({"starts_at": slot(10, 11), "ends_at": slot(10, 13), "seats": 50}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "confirmed");
    assert_eq!(slot_confirmed(&app, &admin, 10, 9).await, 0);
    assert_eq!(slot_confirmed(&app, &admin, 10, 11).await, 50);
    assert_eq!(slot_confirmed(&app, &admin, 10, 12).await, 100);

    assert_eq!(
        app.delete(&path, Some(&admin)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(slot_confirmed(&app, &admin, 10, 11).await, 0);
    assert_eq!(slot_confirmed(&app, &admin, 10, 12).await, 50);
    let r = app.get(&path, Some(&admin)).await;
    assert_eq!(r.body["status"], "cancelled");
}

async fn admin_list_filters_by_status_user_and_date(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (alice, alice_id) = app.user().await;
    let (bob, _) = app.user().await;
    let a = app.reserve(&alice, &slot(10, 23), &slot(11, 1), 1).await;
    app.reserve(&bob, &slot(12, 5), &slot(12, 6), 1).await;
    let a = a.body["id"].as_i64().expect("id");
    app.confirm(&admin, a).await;

    let total = |q: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .get(&format!("/api/v1/admin/reservations?{q}"), Some(&admin))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}");
            r.body["total"].as_i64().expect("total")
        }
    };
    assert_eq!(total(String::new()).await, 2);
    assert_eq!(total("status=confirmed".into()).await, 1);
    assert_eq!(total("status=pending".into()).await, 1);
    assert_eq!(total(format!("user_id={alice_id}")).await, 1);
    // Alice's reservation crosses midnight: it overlaps both dates.
    assert_eq!(total(format!("date={}", day(10))).await, 1);
    assert_eq!(total(format!("date={}", day(11))).await, 1);
    assert_eq!(total(format!("date={}", day(12))).await, 1);
    assert_eq!(total(format!("date={}", day(13))).await, 0);
    for q in [
        "status=done",
        "user_id=x",
        "date=2026-13-01",
        "per_page=500",
    ] {
        let r = app
            .get(&format!("/api/v1/admin/reservations?{q}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
    }
}

async fn admin_list_is_a_queue_with_order_oldest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (alice, _) = app.user().await;
    let mut ids = Vec::new();
    for hour in [9, 3, 15, 6] {
        let r = app
            .reserve(&alice, &slot(20, hour), &slot(20, hour + 1), 1)
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        ids.push(r.body["id"].as_i64().expect("id"));
    }
    // The second one leaves the pending queue.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/admin/reservations/{}/confirm", ids[1]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let listed = |q: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .get(&format!("/api/v1/admin/reservations?{q}"), Some(&admin))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}");
            r.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["id"].as_i64().expect("id"))
                .collect::<Vec<_>>()
        }
    };
    let newest: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(listed("").await, newest);
    assert_eq!(listed("order=newest").await, newest);
    assert_eq!(listed("order=oldest").await, ids);
    assert_eq!(
        listed("order=oldest&status=pending").await,
        vec![ids[0], ids[2], ids[3]]
    );
    assert_eq!(
        listed("order=oldest&status=pending&per_page=2&page=2").await,
        vec![ids[3]]
    );
    for q in ["order=asc", "order=", "order=OLDEST"] {
        let r = app
            .get(&format!("/api/v1/admin/reservations?{q}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(r.code(), "malformed_request", "{q}");
    }
}

async fn deleting_a_user_cancels_their_reservations_and_frees_confirmed_seats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, user_id) = app.user().await;
    let id = app.reserved(&user, &slot(10, 9), &slot(10, 10), 25).await;
    app.confirm(&admin, id).await;
    assert_eq!(slot_confirmed(&app, &admin, 10, 9).await, 25);

    let r = app
        .delete(&format!("/api/v1/admin/users/{user_id}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(slot_confirmed(&app, &admin, 10, 9).await, 0);
    let r = app
        .get(&format!("/api/v1/admin/reservations/{id}"), Some(&admin))
        .await;
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(
        app.get("/api/v1/users/me", Some(&user)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .get(&format!("/api/v1/admin/users/{user_id}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn admin_user_management_lists_reads_and_updates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, admin_id) = app.admin().await;
    let (_, user_id) = app.user().await;
    let r = app
        .get("/api/v1/admin/users?per_page=1", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["items"].as_array().expect("items").len(), 1);
    assert_eq!(r.body["items"][0]["id"], admin_id);
    let r = app
        .get(&format!("/api/v1/admin/users/{user_id}"), Some(&admin))
        .await;
    assert_eq!(r.body["role"], "user");
    let r = app
        .patch(
            &format!("/api/v1/admin/users/{user_id}"),
            Some(&admin),
            &json!({"role": "boss"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .patch(
            &format!("/api/v1/admin/users/{user_id}"),
            Some(&admin),
            &json!({"username": "ADMIN0"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app.get("/api/v1/admin/users/424242", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .patch(
            "/api/v1/admin/users/424242",
            Some(&admin),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.delete("/api/v1/admin/users/424242", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

on_both_backends!(
    available_lists_every_hour_of_a_date_inside_the_window,
    available_for_the_edge_dates_lists_only_bookable_hours,
    available_rejects_dates_outside_the_window_and_malformed_dates,
    create_returns_a_pending_reservation_and_validates_every_rule,
    create_is_a_conflict_when_a_slot_is_missing,
    owners_see_edit_and_cancel_only_their_own_reservations,
    own_list_is_newest_first_and_paginated,
    confirm_counts_seats_and_refuses_what_does_not_fit,
    admin_edit_moves_confirmed_seats_atomically_and_cancel_frees_them,
    admin_list_filters_by_status_user_and_date,
    admin_list_is_a_queue_with_order_oldest,
    deleting_a_user_cancels_their_reservations_and_frees_confirmed_seats,
    admin_user_management_lists_reads_and_updates,
);
