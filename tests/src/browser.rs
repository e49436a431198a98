//! The browser suites' shared steps: Debian's Chromium and the node driver installed
//! (scripts/ensure-browser.sh), then one spec of tests/e2e run against a server, its
//! screenshots checked afterwards.

use serde_json::Value;
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

fn succeeded(what: &str, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `tests/e2e/<spec>` against the server at `base`, with `fixture` as its `FIXTURE`
/// (JSON), after making sure the browser is installed; then checks that every screenshot of
/// `shots` was saved in tests/output/browser/.
pub async fn run_spec(spec: &str, base: &str, fixture: &Value, shots: &[&str]) {
    let mut setup = Command::new(repo().join("scripts/ensure-browser.sh"));
    setup.current_dir(repo());
    succeeded("browser setup", &blocking(setup).await);

    let output_dir = repo().join("tests/output/browser");
    let mut run = Command::new("node");
    run.current_dir(repo().join("tests/e2e"))
        .arg(spec)
        .arg(base)
        .arg(&output_dir)
        .env("FIXTURE", fixture.to_string());
    succeeded("browser test", &blocking(run).await);
    for shot in shots {
        assert!(
            output_dir.join(format!("{shot}.png")).exists(),
            "{shot} saved"
        );
    }
}
