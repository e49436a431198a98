//! End to end over HTTP: who may call which route, and the error format outside the handlers.

use integration_tests::app::{day, slot, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Owner,
    OtherUser,
    Admin,
}

/// Every route of the API with a valid body where one is needed.
async fn authorisation_matrix_for_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (owner, _) = app.user().await;
    let (other, _) = app.user().await;
    let (_, victim_id) = app.user().await;

    let new_reservation =
        |h: i64| json!({"starts_at": slot(10, h), "ends_at": slot(10, h + 1), "seats": 1});
    // One reservation of the owner's per row that may change it.
    let mut owned = Vec::new();
    for h in 0..12 {
        let r = app
            .post("/api/v1/reservations", Some(&owner), &new_reservation(h))
            .await;
        owned.push(r.body["id"].as_i64().expect("id"));
    }
    let date = day(10);
    let token = |who: Who| match who {
        Who::Anonymous => None,
        Who::Owner => Some(owner.as_str()),
        Who::OtherUser => Some(other.as_str()),
        Who::Admin => Some(admin.as_str()),
    };

    use Who::*;
    // (method, path, body, [expected status for Anonymous, Owner, OtherUser, Admin])
    let rows: Vec<(&str, String, Option<serde_json::Value>, [u16; 4])> = vec![
        ("GET", "/api/v1/users/me".into(), None, [401, 200, 200, 200]),
        (
            "GET",
            format!("/api/v1/exam-slots/available?date={date}"),
            None,
            [401, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/reservations".into(),
            None,
            [401, 200, 200, 200],
        ),
        (
            "POST",
            "/api/v1/reservations".into(),
            Some(new_reservation(20)),
            [401, 201, 201, 201],
        ),
        (
            "GET",
            format!("/api/v1/reservations/{}", owned[0]),
            None,
            [401, 200, 404, 404],
        ),
        (
            "PATCH",
            format!("/api/v1/reservations/{}", owned[1]),
            Some(json!({"seats": 2})),
            [401, 200, 404, 404],
        ),
        (
            "DELETE",
            format!("/api/v1/reservations/{}", owned[2]),
            None,
            [401, 204, 404, 404],
        ),
        (
            "GET",
            "/api/v1/admin/users".into(),
            None,
            [401, 403, 403, 200],
        ),
        (
            "GET",
            format!("/api/v1/admin/users/{victim_id}"),
            None,
            [401, 403, 403, 200],
        ),
        (
            "PATCH",
            format!("/api/v1/admin/users/{victim_id}"),
            Some(json!({"role": "user"})),
            [401, 403, 403, 200],
        ),
        (
            "GET",
            format!("/api/v1/admin/exam-slots?date={date}"),
            None,
            [401, 403, 403, 200],
        ),
        (
            "GET",
            "/api/v1/admin/reservations".into(),
            None,
            [401, 403, 403, 200],
        ),
        (
            "GET",
            format!("/api/v1/admin/reservations/{}", owned[3]),
            None,
            [401, 403, 403, 200],
        ),
        (
            "PATCH",
            format!("/api/v1/admin/reservations/{}", owned[4]),
            Some(json!({"seats": 3})),
            [401, 403, 403, 200],
        ),
        (
            "POST",
            format!("/api/v1/admin/reservations/{}/confirm", owned[5]),
            None,
            [401, 403, 403, 200],
        ),
        (
            "DELETE",
            format!("/api/v1/admin/reservations/{}", owned[6]),
            None,
            [401, 403, 403, 204],
        ),
        (
            "DELETE",
            format!("/api/v1/admin/users/{victim_id}"),
            None,
            [401, 403, 403, 204],
        ),
    ];
    for (method, path, body, expected) in rows {
        for (i, who) in [Anonymous, Owner, OtherUser, Admin].into_iter().enumerate() {
            let body_text = body.as_ref().map(|b| b.to_string());
            let r = app
                .call(method, &path, token(who), body_text.as_deref())
                .await;
            assert_eq!(
                r.status.as_u16(),
                expected[i],
                "{method} {path} as {who:?}: {:?}",
                r.body
            );
            if r.status.as_u16() >= 400 {
                assert_eq!(
                    r.content_type, "application/problem+json",
                    "{method} {path}"
                );
                assert_eq!(r.body["status"], r.status.as_u16());
                assert!(r.body["type"].is_string() && r.body["title"].is_string());
                assert!(r.body["detail"].is_string() && r.body["code"].is_string());
            }
        }
    }
    // Each caller's own-account DELETE and logout last, as they end sessions.
    for who in [Owner, OtherUser] {
        let r = app
            .call("POST", "/api/v1/auth/logout", token(who), None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(
        app.call("POST", "/api/v1/auth/logout", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.delete("/api/v1/users/me", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn checks_run_in_the_documented_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (user, _) = app.user().await;
    let (admin, _) = app.admin().await;
    // Anonymous with a malformed body: authentication first.
    let r = app
        .call("POST", "/api/v1/reservations", None, Some("{oops"))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A user on an admin route with a malformed body and a bad id: role first.
    let r = app
        .call(
            "PATCH",
            "/api/v1/admin/reservations/abc",
            Some(&user),
            Some("{oops"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An admin with a rule-breaking body on an unknown id: rules before existence.
    let r = app
        .patch(
            "/api/v1/admin/reservations/999999",
            Some(&admin),
            &json!({"seats": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .patch(
            "/api/v1/admin/reservations/999999",
            Some(&admin),
            &json!({"seats": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn unknown_routes_wrong_methods_and_oversized_bodies_answer_problem_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (user, _) = app.user().await;
    let r = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.content_type, "application/problem+json");
    let r = app
        .call("PUT", "/api/v1/reservations", Some(&user), None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.code(), "method_not_allowed");
    let huge = format!(
        "{{\"username\": \"{}\", \"password\": \"password123\"}}",
        "a".repeat(100_000)
    );
    let r = app
        .call("POST", "/api/v1/auth/signup", None, Some(&huge))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.content_type, "application/problem+json");
}

async fn openapi_documents_every_route_and_swagger_ui_is_served_locally(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with('3')));
    let paths = r.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/users/me",
        "/api/v1/admin/users",
        "/api/v1/admin/users/{id}",
        "/api/v1/exam-slots/available",
        "/api/v1/admin/exam-slots",
        "/api/v1/reservations",
        "/api/v1/reservations/{id}",
        "/api/v1/admin/reservations",
        "/api/v1/admin/reservations/{id}",
        "/api/v1/admin/reservations/{id}/confirm",
        "/health",
        "/ready",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    // Every documented response has a description (OpenAPI 3.1 requires one).
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("ops") {
            for (status, resp) in op["responses"].as_object().expect("responses") {
                assert!(resp["description"].is_string(), "{method} {path} {status}");
            }
        }
    }
    let r = app.get("/swagger-ui/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&r.raw).contains("swagger"));
}

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/health", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/ready", None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let expected = match backend {
        Backend::Server => json!({"postgres": "ok", "redis": "ok"}),
        // Nothing out of process to check but the database file.
        Backend::Embedded => json!({"sqlite": "ok"}),
    };
    assert_eq!(r.body["checks"], expected);
}

#[actix_web::test]
async fn an_unreachable_redis_keeps_the_api_up_and_refuses_only_locked_changes() {
    let app = TestApp::spawn_with(Backend::Server, &[("REDIS_URL", "redis://127.0.0.1:1")]).await;
    let r = app
        .post(
            "/api/v1/auth/signup",
            None,
            &json!({"username": "eve", "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "sign-up needs no Redis");
    let token = app.login("eve", "password123").await;
    // Sessions come from the database when the cache is away.
    let r = app.get("/api/v1/users/me", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .get(
            &format!("/api/v1/exam-slots/available?date={}", day(10)),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "availability from the database");
    let id = app.reserved(&token, &slot(10, 9), &slot(10, 10), 1).await;
    // A change that needs the reservation lock is refused cleanly, and changes nothing.
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/reservations/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.code(), "service_unavailable");
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    let r = app
        .get(&format!("/api/v1/reservations/{id}"), Some(&token))
        .await;
    assert_eq!(r.body["status"], "pending");
    // The voucher drop falls back to the database's guarded decrement.
    let (admin, _) = app.admin().await;
    let voucher = app.voucher(&admin, "DUNE-DOWN", 1).await;
    let r = app.claim(&token, voucher).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app.claim(&admin, voucher).await;
    assert_eq!(r.code(), "sold_out", "the database says so, exactly");
    // Logging out is recorded in the database, so it holds without the cache too.
    let r = app
        .call("POST", "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.get("/api/v1/users/me", Some(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.get("/ready", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["checks"]["redis"], "unavailable");
    assert_eq!(r.body["checks"]["postgres"], "ok");
}

#[actix_web::test]
async fn a_lost_database_gives_a_clean_503_not_a_500() {
    let app = TestApp::spawn(Backend::Server).await;
    let (token, _) = app.user().await;
    // Pull the database away from under the running server.
    let name = app.pg().url().rsplit('/').next().expect("name").to_owned();
    let mut admin = {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&integration_tests::db::admin_url())
            .await
            .expect("admin")
    };
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("dropped");
    let r = app
        .get(
            &format!("/api/v1/exam-slots/available?date={}", day(10)),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    let r = app.get("/ready", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["checks"]["postgres"], "unavailable");
}

#[actix_web::test]
async fn a_reservation_locked_by_another_process_answers_503_busy_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Server, &[("APP__LOCK__WAIT_MS", "150")]).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    let id = app.reserved(&user, &slot(10, 9), &slot(10, 10), 1).await;
    // Another process holds this reservation's lock (same key layout, same prefix).
    let client = deadpool_redis::redis::Client::open(app.redis().url()).expect("redis");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let _: () = deadpool_redis::redis::cmd("SET")
        .arg(format!("{}lock:reservation:{id}", app.redis().prefix()))
        .arg("someone-else")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .expect("lock taken");
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/admin/reservations/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.code(), "busy");
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    let r = app
        .get(&format!("/api/v1/admin/reservations/{id}"), Some(&admin))
        .await;
    assert_eq!(r.body["status"], "pending", "nothing changed");
}

on_both_backends!(
    authorisation_matrix_for_every_route,
    checks_run_in_the_documented_order,
    unknown_routes_wrong_methods_and_oversized_bodies_answer_problem_json,
    openapi_documents_every_route_and_swagger_ui_is_served_locally,
    health_and_readiness_answer,
);
