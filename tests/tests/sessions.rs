//! What must hold while authentication and availability are answered from caches: a change of
//! a session takes effect on the very next request on every instance (one that never saw the
//! user included), it survives the loss of the cache and a restart, and nobody reads
//! availability older than a confirm they have seen answered.

use integration_tests::app::{day, slot, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

const ME: &str = "/api/v1/users/me";

/// Remaining seats of hour `hour` of `day(10)`, as instance `app` answers.
async fn remaining(app: &TestApp, token: &str, hour: usize) -> i64 {
    let r = app
        .get(
            &format!("/api/v1/exam-slots/available?date={}", day(10)),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["slots"][hour]["remaining"]
        .as_i64()
        .expect("remaining")
}

async fn a_logout_ends_the_token_everywhere_and_survives_a_restart(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let (token, _) = a.user().await;
    assert_eq!(a.get(ME, Some(&token)).await.status, StatusCode::OK);
    let r = a
        .call("POST", "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // On the server backend this is a second process; on the embedded one it is the same
    // database file opened again with empty memory, as after a restart.
    let b = a.another_instance().await;
    for instance in [&a, &b] {
        let r = instance.get(ME, Some(&token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "token_revoked");
    }
}

async fn a_password_change_demotion_and_deletion_reach_an_instance_that_never_saw_the_user(
    backend: Backend,
) {
    let a = TestApp::spawn(backend).await;
    let (root, _) = a.admin().await;
    let (other_admin, other_id) = a.admin().await;
    let r = a
        .post(
            "/api/v1/auth/signup",
            None,
            &json!({"username": "carol", "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let user = a.login("carol", "password123").await;
    // Two processes on the server backend; the embedded backend is one process by design.
    let second;
    let b = match backend {
        Backend::Server => {
            second = a.another_instance().await;
            &second
        }
        Backend::Embedded => &a,
    };

    // Demotion on A; the very next request on B already sees a plain user.
    let r = a
        .patch(
            &format!("/api/v1/admin/users/{other_id}"),
            Some(&root),
            &json!({"role": "user"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = b.get("/api/v1/admin/users", Some(&other_admin)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A password change on B ends the token on A, which has served it before.
    assert_eq!(a.get(ME, Some(&user)).await.status, StatusCode::OK);
    let r = b
        .patch(ME, Some(&user), &json!({"password": "a new password"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = a.get(ME, Some(&user)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_ended");

    // Deletion on A ends the account's tokens on B.
    let fresh = b.login("carol", "a new password").await;
    assert_eq!(b.get(ME, Some(&fresh)).await.status, StatusCode::OK);
    assert_eq!(
        a.delete(ME, Some(&fresh)).await.status,
        StatusCode::NO_CONTENT
    );
    let r = b.get(ME, Some(&fresh)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn a_confirm_is_seen_by_the_next_availability_read_on_every_instance(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.another_instance().await;
    let (admin, _) = a.admin().await;
    let (user, _) = a.user().await;
    // Both instances have read (and cached) the date before the change.
    assert_eq!(remaining(&a, &user, 9).await, 50_000);
    assert_eq!(remaining(&b, &user, 9).await, 50_000);
    let id = a.reserved(&user, &slot(10, 9), &slot(10, 10), 1234).await;
    let r = b.confirm(&admin, id).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    if backend == Backend::Server {
        assert_eq!(remaining(&a, &user, 9).await, 48_766, "the other instance");
    }
    assert_eq!(
        remaining(&b, &user, 9).await,
        48_766,
        "the confirming instance"
    );

    // Cancelling the confirmed reservation gives the seats back, visibly at once.
    let r = a
        .delete(&format!("/api/v1/admin/reservations/{id}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(remaining(&a, &user, 9).await, 50_000);
}

#[actix_web::test]
async fn losing_every_cached_key_brings_no_logged_out_token_back() {
    let a = TestApp::spawn(Backend::Server).await;
    let (token, _) = a.user().await;
    let (other, _) = a.user().await;
    assert_eq!(a.get(ME, Some(&token)).await.status, StatusCode::OK);
    let r = a
        .call("POST", "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // As after FLUSHALL, or a Redis restart without persistence.
    a.redis().flush_prefix().await;
    let b = a.another_instance().await;
    for instance in [&a, &b] {
        let r = instance.get(ME, Some(&token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "token_revoked");
        assert_eq!(instance.get(ME, Some(&other)).await.status, StatusCode::OK);
    }
    // Availability tags come back fresh too: counts read after the flush are right.
    let (admin, _) = a.admin().await;
    assert_eq!(remaining(&b, &other, 9).await, 50_000);
    let id = a.reserved(&other, &slot(10, 9), &slot(10, 10), 7).await;
    a.redis().flush_prefix().await;
    let r = a.confirm(&admin, id).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(remaining(&b, &other, 9).await, 49_993);
}

on_both_backends!(
    a_logout_ends_the_token_everywhere_and_survives_a_restart,
    a_password_change_demotion_and_deletion_reach_an_instance_that_never_saw_the_user,
    a_confirm_is_seen_by_the_next_availability_read_on_every_instance,
);
