//! Log-in throttling (OWASP ASVS 2.2): failures are limited per account and address, per
//! account and per address; unknown names are throttled like real ones; a success clears the
//! account's counts.

use integration_tests::app::{StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

const LIMITS: [(&str, &str); 3] = [
    ("APP__AUTH__THROTTLE_PER_ACCOUNT_AND_CLIENT", "3"),
    ("APP__AUTH__THROTTLE_PER_ACCOUNT", "10"),
    ("APP__AUTH__THROTTLE_PER_CLIENT", "30"),
];

async fn login(app: &TestApp, name: &str, password: &str) -> integration_tests::app::Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"username": name, "password": password}),
    )
    .await
}

async fn signup(app: &TestApp, name: &str) {
    let r = app
        .post(
            "/api/v1/auth/signup",
            None,
            &json!({"username": name, "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

async fn failed_log_ins_are_throttled_per_account_and_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, &LIMITS).await;
    signup(&app, "alice").await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, "alice", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = login(&app, "alice", "password123").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(r.code(), "too_many_attempts");
    assert_eq!(r.content_type, "application/problem+json");
    let retry: u64 = r
        .retry_after
        .as_deref()
        .unwrap_or("0")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");

    // An unknown name is throttled the same way: the answer reveals nothing.
    for _ in 0..3 {
        assert_eq!(
            login(&app, "ghost", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&app, "ghost", "wrong-password").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Another account from the same address is not held back by alice's failures.
    signup(&app, "bob").await;
    assert_eq!(
        login(&app, "bob", "password123").await.status,
        StatusCode::OK
    );
}

async fn a_successful_log_in_clears_the_account_counts(backend: Backend) {
    let app = TestApp::spawn_with(backend, &LIMITS).await;
    signup(&app, "carol").await;
    for _ in 0..2 {
        assert_eq!(
            login(&app, "carol", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&app, "carol", "password123").await.status,
        StatusCode::OK
    );
    // Counts start again: three more failures are answered 401 before the fourth waits.
    for _ in 0..3 {
        assert_eq!(
            login(&app, "carol", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&app, "carol", "password123").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

on_both_backends!(
    failed_log_ins_are_throttled_per_account_and_address,
    a_successful_log_in_clears_the_account_counts,
);
