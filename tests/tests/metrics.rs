//! `GET /metrics`: Prometheus text from the exporter, with counters that move when the service
//! works, and never a user id or a token in a label.

use integration_tests::app::{day, slot, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};

/// The sum of the values of every series of `name` whose labels contain all of `labels`.
fn value(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    String::from_utf8(r.raw).expect("text")
}

async fn counters_move_with_the_work_and_labels_carry_no_user_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, user_id) = app.user().await;
    let before = scrape(&app).await;

    let available = format!("/api/v1/exam-slots/available?date={}", day(10));
    for _ in 0..3 {
        assert_eq!(
            app.get(&available, Some(&user)).await.status,
            StatusCode::OK
        );
    }
    let id = app.reserved(&user, &slot(10, 9), &slot(10, 10), 2).await;
    let confirm = format!("/api/v1/admin/reservations/{id}/confirm");
    assert_eq!(
        app.call("POST", &confirm, Some(&admin), None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.call("POST", &confirm, Some(&admin), None).await.status,
        StatusCode::CONFLICT
    );
    let voucher = app.voucher(&admin, "DUNE-M", 1).await;
    let claim = format!("/api/v1/events/{voucher}/claim");
    assert_eq!(
        app.call("POST", &claim, Some(&user), None).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.call("POST", &claim, Some(&admin), None).await.status,
        StatusCode::CONFLICT
    );

    let after = scrape(&app).await;
    let moved =
        |name: &str, labels: &[&str]| value(&after, name, labels) - value(&before, name, labels);
    let route = r#"route="/api/v1/exam-slots/available""#;
    assert!(moved("http_requests_total", &[route, r#"status="200""#]) >= 3.0);
    assert!(moved("http_request_duration_seconds_count", &[route]) >= 3.0);
    assert!(moved("reservation_confirms_total", &[r#"outcome="confirmed""#]) >= 1.0);
    assert!(moved("reservation_confirms_total", &[r#"outcome="not_pending""#]) >= 1.0);
    assert!(
        moved(
            "voucher_claims_total",
            &[r#"outcome="claimed""#, r#"answered_by="database""#]
        ) >= 1.0
    );
    assert!(moved("voucher_claims_total", &[r#"outcome="sold_out""#]) >= 1.0);
    assert!(value(&after, "password_hash_seconds_count", &[]) >= 2.0);
    assert!(value(&after, "db_pool_max_size", &[]) >= 1.0);
    assert!(value(&after, "build_info", &["version="]) >= 1.0);
    assert!(value(&after, "http_requests_in_flight", &[]) >= 0.0);
    // Templates, not paths; and nothing that identifies a user.
    assert!(!after.contains(&format!("/reservations/{id}/confirm")));
    assert!(!after.contains(&user) && !after.contains(&admin));
    assert!(!after.contains(&format!("user_id=\"{user_id}\"")));
}

on_both_backends!(counters_move_with_the_work_and_labels_carry_no_user_data);
