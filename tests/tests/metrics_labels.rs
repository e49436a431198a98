//! `/metrics` cannot be grown by clients: every label value comes from a closed set, so invented
//! methods all count as `other`. A binary of its own, because the recorder is per process and
//! the size of the exposition is what is measured.

use integration_tests::app::{StatusCode, TestApp};
use integration_tests::Backend;

const STANDARD: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "other",
];

async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status, StatusCode::OK);
    String::from_utf8(r.raw).expect("text")
}

/// The exposition without its values: the series that exist.
fn series(text: &str) -> std::collections::BTreeSet<&str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series))
        .collect()
}

#[actix_web::test]
async fn a_thousand_invented_methods_add_no_series() {
    let app = TestApp::spawn(Backend::Embedded).await;
    // One invented method first, so the `other` series exist before the measurement.
    app.call("INVENTED", "/api/v1/reservations", None, None)
        .await;
    app.call("INVENTED", "/no/such/page", None, None).await;
    // And a scrape, which is counted too.
    scrape(&app).await;
    let before = scrape(&app).await;
    for i in 0..1_000 {
        let method = if i % 10 == 0 {
            format!("M{i}{}", "X".repeat(1_000))
        } else {
            format!("INVENTED{i}")
        };
        let path = if i % 2 == 0 {
            "/api/v1/reservations"
        } else {
            "/no/such/page"
        };
        let r = app.call(&method, path, None, None).await;
        assert!(r.status.is_client_error(), "{method}: {}", r.status);
    }
    let after = scrape(&app).await;
    assert_eq!(series(&before), series(&after), "no series was added");
    // Only the counts moved: a few digits, not kilobytes.
    assert!(
        after.len() < before.len() + 200,
        "{} -> {} bytes",
        before.len(),
        after.len()
    );
    for method in after.split("method=\"").skip(1) {
        let value = method.split('"').next().unwrap_or_default();
        assert!(STANDARD.contains(&value), "label value {value:?}");
    }
}
