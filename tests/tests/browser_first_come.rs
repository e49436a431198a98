//! Registration day in a real browser: headless Chromium, driven by
//! tests/e2e/first_come.spec.mjs, against the real server. An admin switches a date to
//! first-come on `/admin`; one candidate is confirmed at once on `/book`, a second joins the
//! waitlist, the first cancels and the second holds the seats. Screenshots land in
//! tests/output/browser/.

use integration_tests::app::{day, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Seats per hour: small, so that one candidate fills the hour.
const CAPACITY: i64 = 10;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn blocking(mut cmd: Command) -> std::process::Output {
    actix_web::rt::task::spawn_blocking(move || cmd.output().expect("command runs"))
        .await
        .expect("join")
}

async fn candidates_book_first_come_and_wait_in_line_in_chromium(backend: Backend) {
    let mut setup = Command::new(repo().join("scripts/ensure-browser.sh"));
    setup.current_dir(repo());
    let out = blocking(setup).await;
    assert!(
        out.status.success(),
        "browser setup failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

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

    let output_dir = repo().join("tests/output/browser");
    let mut run = Command::new("node");
    run.current_dir(repo().join("tests/e2e"))
        .arg("first_come.spec.mjs")
        .arg(&app.base)
        .arg(&output_dir)
        .env(
            "FIXTURE",
            json!({
                "date": day(10),
                "admin": {"username": "chief", "password": "chief-password"},
                "capacity": CAPACITY,
            })
            .to_string(),
        );
    let out = blocking(run).await;
    assert!(
        out.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

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

    for shot in [
        "first-come-01-admin-modes",
        "first-come-02-confirmed",
        "first-come-03-waitlisted",
        "first-come-04-waitlisted-phone",
        "first-come-05-promoted-phone",
        "first-come-06-admin-phone",
    ] {
        assert!(
            output_dir.join(format!("{shot}.png")).exists(),
            "{shot} saved"
        );
    }
}

on_both_backends!(candidates_book_first_come_and_wait_in_line_in_chromium,);
