//! Registration day in a real browser: headless Chromium, driven by
//! tests/e2e/first_come.spec.mjs, against the real server. An admin switches a date to
//! first-come on `/admin`; one candidate is confirmed at once on `/book`, a second joins the
//! waitlist, the first cancels and the second holds the seats. Screenshots land in
//! tests/output/browser/.

use integration_tests::app::{day, StatusCode, TestApp};
use integration_tests::browser::run_spec;
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

/// Seats per hour: small, so that one candidate fills the hour.
const CAPACITY: i64 = 10;

async fn candidates_book_first_come_and_wait_in_line_in_chromium(backend: Backend) {
    let capacity = CAPACITY.to_string();
    let app = TestApp::spawn_with(
        backend,
        &[("APP__BOOKING__SLOT_CAPACITY", capacity.as_str())],
    )
    .await;
    app.services
        .auth
        .create_admin("chief", "chief-password")
        .await
        .expect("admin created");
    let admin = app.login("chief", "chief-password").await;

    let fixture = json!({
        "date": day(10),
        "admin": {"username": "chief", "password": "chief-password"},
        "capacity": CAPACITY,
    });
    run_spec(
        "first_come.spec.mjs",
        &app.base,
        &fixture,
        &[
            "first-come-01-admin-modes",
            "first-come-02-confirmed",
            "first-come-03-waitlisted",
            "first-come-04-waitlisted-phone",
            "first-come-05-promoted-phone",
            "first-come-06-admin-phone",
        ],
    )
    .await;

    // What the pages showed is what the server holds: the whole date books first-come, ben's
    // 4 seats are confirmed by a promotion, and nobody waits.
    let r = app
        .get(
            &format!("/api/v1/admin/exam-slots?date={}", day(10)),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let slots = r.body["slots"].as_array().expect("slots");
    assert!(slots.iter().all(|s| s["booking_mode"] == "first_come"));
    assert_eq!(
        (
            slots[9]["confirmed"].clone(),
            slots[9]["waitlisted"].clone()
        ),
        (json!(4), json!(0))
    );
    let r = app
        .get(
            "/api/v1/admin/audit?action=reservation.promoted",
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["total"], 1, "{:?}", r.body);
}

on_both_backends!(candidates_book_first_come_and_wait_in_line_in_chromium,);
