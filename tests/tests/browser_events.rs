//! The event page in a real browser: headless Chromium, driven by tests/e2e/events.spec.mjs,
//! against the real server: claims that survive a reload, counts that refresh themselves, a
//! voucher that opens while the page is open. Screenshots land in tests/output/browser/.

use integration_tests::app::{StatusCode, TestApp};
use integration_tests::browser::run_spec;
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

async fn a_reader_signs_up_claims_and_uses_a_voucher_in_chromium(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    for (title, code, quantity) in [("Dune", "DUNE-2026", 50), ("Last Copy", "LAST-1", 1)] {
        let book = app.book(&admin, title).await;
        let body = json!({"book_id": book, "code": code, "quantity": quantity});
        let r = app
            .post("/api/v1/admin/vouchers", Some(&admin), &body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    // "Soon" opens while the page is open.
    let soon = app.book(&admin, "Soon").await;
    let opens_at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(20))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let body = json!({"book_id": soon, "code": "SOON-1", "quantity": 5, "opens_at": opens_at});
    let r = app
        .post("/api/v1/admin/vouchers", Some(&admin), &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    run_spec(
        "events.spec.mjs",
        &app.base,
        &serde_json::Value::Null,
        &[
            "events-01-page",
            "events-03-claimed",
            "events-04-sold-out",
            "events-05-used",
            "events-06-phone",
        ],
    )
    .await;
}

on_both_backends!(a_reader_signs_up_claims_and_uses_a_voucher_in_chromium,);
