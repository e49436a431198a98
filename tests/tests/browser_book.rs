//! The booking page and the admin console in a real browser: headless Chromium, driven by
//! tests/e2e/book.spec.mjs, against the real server. A user books on `/book`, an admin confirms
//! on `/admin`, the user sees it confirmed after a reload, and a second user is refused when an
//! hour is nearly full. Screenshots land in tests/output/browser/.

use integration_tests::app::{day, slot, StatusCode, TestApp};
use integration_tests::browser::run_spec;
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

/// Books `seats` seats from `hour` to `hour + 1` on day 10 for a fresh user and confirms them.
async fn confirmed(app: &TestApp, admin: &str, hour: i64, seats: i64) {
    let (user, _) = app.user().await;
    let body = json!({"starts_at": slot(10, hour), "ends_at": slot(10, hour + 1), "seats": seats});
    let r = app.post("/api/v1/reservations", Some(&user), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    let r = app
        .call(
            "POST",
            &format!("/api/v1/admin/reservations/{id}/confirm"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn users_book_and_admins_confirm_in_chromium(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.services
        .auth
        .create_admin("chief", "chief-password")
        .await
        .expect("admin created");
    let admin = app.login("chief", "chief-password").await;
    // Day 10: 09:00 nearly full (10 seats left), 14:00 full.
    confirmed(&app, &admin, 9, 49_990).await;
    confirmed(&app, &admin, 14, 50_000).await;
    let r = app
        .get(
            &format!("/api/v1/admin/exam-slots?date={}", day(10)),
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["slots"][9]["remaining"], 10);
    assert_eq!(r.body["slots"][14]["remaining"], 0);

    let fixture = json!({
        "date": day(10),
        "admin": {"username": "chief", "password": "chief-password"},
        "nearly_full_hour": "09:00",
        "full_hour": "14:00",
        "backend": format!("{backend:?}").to_lowercase(),
    });
    run_spec(
        "book.spec.mjs",
        &app.base,
        &fixture,
        &[
            "book-01-hours",
            "book-01-range",
            "book-02-requested",
            "book-03-no-room",
            "book-04-confirmed",
            "book-05-phone",
            "admin-01-queue",
            "admin-01-day",
            "admin-02-confirmed",
            "admin-03-refused",
            "admin-04-phone",
            "admin-05-not-admin",
        ],
    )
    .await;

    // What the pages showed is what the server holds: alice's 3 seats and the 8 seats that
    // fitted at 09:00 are confirmed; the second 8-seat request is still pending.
    let r = app
        .get(
            &format!("/api/v1/admin/exam-slots?date={}", day(10)),
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["slots"][9]["confirmed"], 49_998);
    assert_eq!(r.body["slots"][10]["confirmed"], 3);
    assert_eq!(r.body["slots"][11]["confirmed"], 3);
    assert_eq!(r.body["slots"][12]["confirmed"], 0);
    let r = app
        .get("/api/v1/admin/reservations?status=pending", Some(&admin))
        .await;
    assert_eq!(r.body["total"], 1, "{:?}", r.body);
    assert_eq!(r.body["items"][0]["seats"], 8);
}

on_both_backends!(users_book_and_admins_confirm_in_chromium,);
