//! End to end over HTTP: sign-up, log-in, log-out, own account, and what ends a session.

use integration_tests::app::{StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

const SIGNUP: &str = "/api/v1/auth/signup";
const LOGIN: &str = "/api/v1/auth/login";

async fn signup_creates_a_user_and_login_returns_a_bearer_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app
        .post(
            SIGNUP,
            None,
            &json!({"username": "Alice", "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["username"], "Alice");
    assert_eq!(r.body["role"], "user");
    assert!(r.body["id"].is_i64());
    assert!(r.body["created_at"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    assert!(r.body.get("password_hash").is_none());

    let r = app
        .post(
            LOGIN,
            None,
            &json!({"username": "alice", "password": "password123"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "login is case-insensitive on the name"
    );
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    let token = r.body["access_token"].as_str().expect("token");
    let me = app.get("/api/v1/users/me", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "Alice");
}

async fn usernames_are_unique_regardless_of_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = json!({"username": "Bob.Smith", "password": "password123"});
    assert_eq!(
        app.post(SIGNUP, None, &body).await.status,
        StatusCode::CREATED
    );
    let r = app
        .post(
            SIGNUP,
            None,
            &json!({"username": "bob.SMITH", "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "username_taken");
    assert_eq!(r.content_type, "application/problem+json");
}

async fn signup_rule_violations_are_422_and_malformed_bodies_are_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            json!({"username": "ab", "password": "password123"}),
            422,
            "invalid_username",
        ),
        (
            json!({"username": "a b c", "password": "password123"}),
            422,
            "invalid_username",
        ),
        (
            json!({"username": "carol", "password": "short"}),
            422,
            "invalid_password",
        ),
        (json!({"username": "carol"}), 400, "malformed_request"),
        (
            json!({"username": "carol", "password": null}),
            400,
            "malformed_request",
        ),
        (
            json!({"username": 5, "password": "password123"}),
            400,
            "malformed_request",
        ),
        (
            json!({"username": "carol", "password": "password123", "role": "admin"}),
            400,
            "malformed_request",
        ),
    ];
    for (body, status, code) in cases {
        let r = app.post(SIGNUP, None, &body).await;
        assert_eq!(r.status.as_u16(), status, "{body}");
        assert_eq!(r.code(), code, "{body}");
    }
    for raw in ["{not json", "", "[]", "null"] {
        let r = app.call("POST", SIGNUP, None, Some(raw)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{raw:?}");
        assert_eq!(r.code(), "malformed_request");
    }
}

async fn unknown_user_and_wrong_password_get_the_same_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user().await;
    let unknown = app
        .post(
            LOGIN,
            None,
            &json!({"username": "nobody", "password": "password123"}),
        )
        .await;
    let wrong = app
        .post(
            LOGIN,
            None,
            &json!({"username": "user0", "password": "password999"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.body, wrong.body);
}

async fn logout_revokes_that_token_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (first, _) = app.user().await;
    let second = app.login("user0", "password123").await;
    let r = app
        .call("POST", "/api/v1/auth/logout", Some(&first), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.get("/api/v1/users/me", Some(&first)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "token_revoked");
    assert_eq!(
        app.get("/api/v1/users/me", Some(&second)).await.status,
        StatusCode::OK
    );
}

async fn missing_malformed_and_forged_tokens_are_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/api/v1/users/me", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "missing_token");
    let r = app.get("/api/v1/users/me", Some("not-a-jwt")).await;
    assert_eq!(r.code(), "invalid_token");
    // A token signed with another secret.
    let forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwidmVyIjowLCJqdGkiOiJ4IiwiaWF0IjoxLCJleHAiOjk5OTk5OTk5OTl9.c2lnbmF0dXJl";
    let r = app.get("/api/v1/users/me", Some(forged)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn changing_the_password_ends_earlier_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.user().await;
    let r = app
        .patch(
            "/api/v1/users/me",
            Some(&token),
            &json!({"password": "brand-new-pass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/api/v1/users/me", Some(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_ended");
    let fresh = app.login("user0", "brand-new-pass").await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&fresh)).await.status,
        StatusCode::OK
    );
}

async fn own_account_patch_is_partial_and_rejects_nulls_and_roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.user().await;
    let r = app
        .patch(
            "/api/v1/users/me",
            Some(&token),
            &json!({"username": "renamed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["username"], "renamed");
    assert_eq!(
        app.get("/api/v1/users/me", Some(&token)).await.status,
        StatusCode::OK
    );
    for body in [json!({"username": null}), json!({"role": "admin"})] {
        let r = app.patch("/api/v1/users/me", Some(&token), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
    }
}

async fn deleting_the_own_account_ends_its_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.user().await;
    assert_eq!(
        app.delete("/api/v1/users/me", Some(&token)).await.status,
        StatusCode::NO_CONTENT
    );
    let r = app.get("/api/v1/users/me", Some(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post(
            LOGIN,
            None,
            &json!({"username": "user0", "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn a_demoted_admin_loses_admin_routes_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (root, _) = app.admin().await;
    let (other_admin, other_id) = app.admin().await;
    assert_eq!(
        app.get("/api/v1/admin/users", Some(&other_admin))
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .patch(
            &format!("/api/v1/admin/users/{other_id}"),
            Some(&root),
            &json!({"role": "user"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["role"], "user");
    let r = app.get("/api/v1/admin/users", Some(&other_admin)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn a_password_logs_in_whether_typed_composed_or_decomposed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let composed = "caf\u{e9} cr\u{e8}me"; // é and è as single characters (NFC)
    let decomposed = "cafe\u{301} cre\u{300}me"; // letters plus combining accents (NFD)
    let r = app
        .post(
            SIGNUP,
            None,
            &json!({"username": "amelie", "password": composed}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for typed in [composed, decomposed] {
        let r = app
            .post(
                LOGIN,
                None,
                &json!({"username": "amelie", "password": typed}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{typed:?}: {:?}", r.body);
    }
    // And the other way round, with a new password set in NFD.
    let token = app.login("amelie", decomposed).await;
    let r = app
        .patch(
            "/api/v1/users/me",
            Some(&token),
            &json!({"password": "\u{212b}ngstr\u{f6}m-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            LOGIN,
            None,
            &json!({"username": "amelie", "password": "A\u{30a}ngstro\u{308}m-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

on_both_backends!(
    a_password_logs_in_whether_typed_composed_or_decomposed,
    signup_creates_a_user_and_login_returns_a_bearer_token,
    usernames_are_unique_regardless_of_case,
    signup_rule_violations_are_422_and_malformed_bodies_are_400,
    unknown_user_and_wrong_password_get_the_same_401,
    logout_revokes_that_token_only,
    missing_malformed_and_forged_tokens_are_401,
    changing_the_password_ends_earlier_tokens,
    own_account_patch_is_partial_and_rejects_nulls_and_roles,
    deleting_the_own_account_ends_its_tokens,
    a_demoted_admin_loses_admin_routes_at_once,
);
