//! The served OpenAPI document, as integrators use it: a standard validator accepts it, and a
//! client generated from it by a mainstream generator (openapi-python-client) drives a sign-up,
//! a booking and a confirm. Both tools come from PyPI (scripts/ensure-api-tools.sh).

use integration_tests::app::{slot, StatusCode, TestApp};
use integration_tests::Backend;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(what: &str, command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed:\n{said}");
    said
}

#[actix_web::test]
async fn a_validator_accepts_the_document_and_a_generated_client_books_through_it() {
    run(
        "scripts/ensure-api-tools.sh",
        Command::new(repo().join("scripts/ensure-api-tools.sh")).current_dir(repo()),
    );
    let venv = repo().join("target/api-tools-venv/bin");
    let app = TestApp::spawn(Backend::Embedded).await;
    let served = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(served.status, StatusCode::OK);

    let work = std::env::temp_dir().join(format!("api-doc-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&work).expect("work folder");
    let document = work.join("openapi.json");
    std::fs::write(&document, &served.raw).expect("document written");

    let verdict = run(
        "openapi-spec-validator",
        Command::new(venv.join("openapi-spec-validator")).arg(&document),
    );
    assert!(verdict.contains("OK"), "{verdict}");

    // The generator formats its output with ruff, from the same virtualenv.
    let path = format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run(
        "openapi-python-client",
        Command::new(venv.join("openapi-python-client"))
            .args([
                "generate",
                "--meta",
                "none",
                "--output-path",
                "client",
                "--path",
            ])
            .arg(&document)
            .current_dir(&work)
            .env("PATH", &path),
    );

    let admin = app.name("admin");
    app.services
        .auth
        .create_admin(&admin, "generated-admin-pw")
        .await
        .expect("admin created");
    let drove = run(
        "the generated client",
        Command::new(venv.join("python"))
            .arg(repo().join("tests/clients/drive.py"))
            .args([
                &app.base,
                &admin,
                "generated-admin-pw",
                &slot(10, 9),
                &slot(10, 11),
            ])
            .env("PYTHONPATH", &work),
    );
    assert!(drove.contains("answered as documented"), "{drove}");
    let _ = std::fs::remove_dir_all(&work);
}
