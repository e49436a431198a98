//! The event page in a real browser: headless Chromium, driven by tests/e2e/events.spec.mjs,
//! against the real server: claims that survive a reload, counts that refresh themselves, a
//! voucher that opens while the page is open. Screenshots land in tests/output/browser/.

use integration_tests::app::{StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn blocking(mut cmd: Command) -> std::process::Output {
    actix_web::rt::task::spawn_blocking(move || cmd.output().expect("command runs"))
        .await
        .expect("join")
}

async fn a_reader_signs_up_claims_and_uses_a_voucher_in_chromium(backend: Backend) {
    let mut setup = Command::new(repo().join("scripts/ensure-browser.sh"));
    setup.current_dir(repo());
    let out = blocking(setup).await;
    assert!(
        out.status.success(),
        "browser setup failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

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

    let output_dir = repo().join("tests/output/browser");
    let mut run = Command::new("node");
    run.current_dir(repo().join("tests/e2e"))
        .arg("events.spec.mjs")
        .arg(&app.base)
        .arg(&output_dir);
    let out = blocking(run).await;
    assert!(
        out.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for shot in [
        "events-01-page",
        "events-03-claimed",
        "events-04-sold-out",
        "events-05-used",
        "events-06-phone",
    ] {
        assert!(
            output_dir.join(format!("{shot}.png")).exists(),
            "{shot} saved"
        );
    }
}

on_both_backends!(a_reader_signs_up_claims_and_uses_a_voucher_in_chromium,);
