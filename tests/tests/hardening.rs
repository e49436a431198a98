//! Odd input, careless clients and hostile ones get a clear 4xx, never a panic, a reset
//! connection or a 503 that blames a backend (docs/INPUT.md).

use integration_tests::app::{day, slot, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;

async fn voucher(app: &TestApp, admin: &str) -> i64 {
    app.voucher(admin, "DUNE-1", 5).await
}

async fn far_future_and_far_past_dates_are_refused_not_panicked_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    for date in ["9999-12-31", "0001-01-01", "1969-12-31"] {
        let r = app
            .get(
                &format!("/api/v1/exam-slots/available?date={date}"),
                Some(&user),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        let r = app
            .get(
                &format!("/api/v1/admin/exam-slots?date={date}"),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{date}");
        assert_eq!(r.body["slots"], json!([]));
        let r = app
            .get(
                &format!("/api/v1/admin/reservations?date={date}"),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{date}");
        assert_eq!(r.body["total"], 0);
    }
    for (starts_at, ends_at) in [
        ("9999-12-31T23:00:00Z", "9999-12-31T23:00:00-23:59"),
        ("9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z"),
        ("0001-01-01T00:00:00+23:59", "0001-01-01T01:00:00Z"),
    ] {
        let body = json!({"starts_at": starts_at, "ends_at": ends_at, "seats": 1});
        let r = app.post("/api/v1/reservations", Some(&user), &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{starts_at}");
    }
    // A voucher window at the end of the calendar is refused before anything is stored.
    let id = voucher(&app, &admin).await;
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{id}"),
            Some(&admin),
            &json!({"opens_at": "9999-12-31T23:59:59-23:59"}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
    let r = app.get("/api/v1/admin/vouchers", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "the list still works");
}

async fn bodies_must_be_json_objects_declared_as_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let signup = |ct: Option<&'static str>, body: &'static str| {
        let app = &app;
        async move {
            app.send(
                "POST",
                "/api/v1/auth/signup",
                None,
                ct,
                Some(body.as_bytes().to_vec()),
                &[],
            )
            .await
        }
    };
    let valid = r#"{"username": "ann_", "password": "password123"}"#;
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let r = signup(ct, valid).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.code(), "unsupported_media_type");
    }
    let r = signup(Some("application/json"), r#"["ann_", "password123"]"#).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an array is not an object"
    );
    let r = signup(Some("application/json; charset=utf-8"), valid).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let other = r#"{"username": "bob_", "password": "password123"}"#;
    let r = signup(Some("application/vnd.booking+json"), other).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

async fn nul_characters_are_refused_everywhere_as_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "a\u{0}b", "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    for body in [
        json!({"title": "Du\u{0}ne"}),
        json!({"title": "Dune", "author": "Frank\u{0}"}),
    ] {
        let r = app.post("/api/v1/admin/books", Some(&admin), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    }
    // An escaped backslash followed by "u0000" is ordinary text.
    let r = app
        .post(
            "/api/v1/admin/books",
            Some(&admin),
            &json!({"title": "C:\\u0000 drive"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["title"], "C:\\u0000 drive");
}

async fn empty_patches_change_nothing_and_answer_the_resource(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, user_id) = app.user().await;
    let id = voucher(&app, &admin).await;
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{id}"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["quantity"], 5);
    let rid = app.reserved(&user, &slot(10, 9), &slot(10, 10), 3).await;
    for (path, token) in [
        (format!("/api/v1/reservations/{rid}"), &user),
        (format!("/api/v1/admin/reservations/{rid}"), &admin),
        ("/api/v1/users/me".to_owned(), &user),
        (format!("/api/v1/admin/users/{user_id}"), &admin),
    ] {
        let r = app.patch(&path, Some(token), &json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
    }
    let r = app
        .get(&format!("/api/v1/reservations/{rid}"), Some(&user))
        .await;
    assert_eq!(r.body["seats"], 3);
}

async fn paging_bounds_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let r = app
        .get("/api/v1/admin/users?page=9223372036854775806", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("between 1 and"),
        "{:?}",
        r.body
    );
}

async fn an_oversized_body_with_a_valid_token_is_always_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let big = format!(r#"{{"pad": "{}"}}"#, "x".repeat(2 << 20));
    for _ in 0..10 {
        // A fresh account each time: its session is read from the database while the body is
        // refused, which is when a cancelled query used to take the connection down.
        let (token, _) = app.user().await;
        let r = app
            .send(
                "POST",
                "/api/v1/reservations",
                Some(&token),
                Some("application/json"),
                Some(big.clone().into_bytes()),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.content_type, "application/problem+json");
    }
    let r = app.get("/health", None).await;
    assert_eq!(r.status, StatusCode::OK, "the server is still there");
}

async fn every_answer_carries_a_request_id_and_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app
        .send(
            "GET",
            "/health",
            None,
            None,
            None,
            &[("X-Request-Id", "trace-42")],
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("trace-42"), "passed through");
    for path in ["/health", "/no/such/route", "/api/v1/users/me"] {
        let r = app.get(path, None).await;
        let id = r.header("x-request-id").unwrap_or_default();
        assert!(!id.is_empty(), "{path}: generated when absent");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(r.header("referrer-policy").is_some(), "{path}");
    }
    let r = app
        .send(
            "GET",
            "/health",
            None,
            None,
            None,
            &[("X-Request-Id", "bad id with spaces")],
        )
        .await;
    assert_ne!(r.header("x-request-id"), Some("bad id with spaces"));
    let _ = day(0);
    for page in ["/events", "/swagger-ui/"] {
        let r = app.get(page, None).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{page}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{page}: {csp}");
    }
}

async fn a_wrong_method_names_the_right_ones_and_whole_numbers_may_be_written_as_floats(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    for (path, allow) in [
        ("/api/v1/reservations", "GET, POST"),
        ("/api/v1/reservations/1", "GET, PATCH, DELETE"),
        ("/api/v1/events/1/claim", "POST"),
        ("/health", "GET"),
    ] {
        let r = app.send("TRACE", path, None, None, None, &[]).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(r.header("allow"), Some(allow), "{path}");
        assert_eq!(r.content_type, "application/problem+json");
    }
    let (user, _) = app.user().await;
    for (seats, expected) in [
        ("2.0", StatusCode::CREATED),
        ("2.5", StatusCode::BAD_REQUEST),
    ] {
        let body = format!(
            r#"{{"starts_at": "{}", "ends_at": "{}", "seats": {seats}}}"#,
            slot(10, 9),
            slot(10, 10)
        );
        let r = app
            .call("POST", "/api/v1/reservations", Some(&user), Some(&body))
            .await;
        assert_eq!(r.status, expected, "seats {seats}: {:?}", r.body);
        if expected == StatusCode::CREATED {
            assert_eq!(r.body["seats"], 2);
        }
    }
}

async fn the_root_sends_a_browser_to_the_booking_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/", None).await;
    // The client follows redirects: the answer is the booking page, which links the others.
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    let page = String::from_utf8_lossy(&r.raw);
    assert!(page.contains("<title>Book exam seats</title>"));
    for link in ["/events", "/admin", "/swagger-ui/"] {
        assert!(page.contains(&format!("href=\"{link}\"")), "{link}");
    }
}

on_both_backends!(
    the_root_sends_a_browser_to_the_booking_page,
    a_wrong_method_names_the_right_ones_and_whole_numbers_may_be_written_as_floats,
    far_future_and_far_past_dates_are_refused_not_panicked_on,
    bodies_must_be_json_objects_declared_as_json,
    nul_characters_are_refused_everywhere_as_bad_input,
    empty_patches_change_nothing_and_answer_the_resource,
    paging_bounds_are_named,
    an_oversized_body_with_a_valid_token_is_always_413,
    every_answer_carries_a_request_id_and_the_security_headers,
);

#[actix_web::test]
async fn one_unreadable_row_does_not_take_a_list_down() {
    let app = TestApp::spawn(Backend::Server).await;
    let (admin, _) = app.admin().await;
    let good = voucher(&app, &admin).await;
    // A row the service cannot read back (an instant past the year 9999), as an older version
    // could store.
    let bad_book = app
        .post(
            "/api/v1/admin/books",
            Some(&admin),
            &json!({"title": "Bad"}),
        )
        .await
        .body["id"]
        .as_i64()
        .expect("book");
    {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        let mut conn = diesel_async::AsyncPgConnection::establish(app.pg().url())
            .await
            .expect("connect");
        diesel::sql_query(format!(
            "INSERT INTO vouchers (book_id, code, quantity, remaining, closed, opens_at, created_at) \
             VALUES ({bad_book}, 'BAD-ROW', 5, 5, FALSE, 253402300799 + 86400, 0)"
        ))
        .execute(&mut conn)
        .await
        .expect("bad row stored");
    }
    let r = app.get("/api/v1/admin/vouchers", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let ids: Vec<i64> = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|v| v["id"].as_i64())
        .collect();
    assert_eq!(
        ids,
        vec![good],
        "the readable voucher is listed, the other left out"
    );
    let r = app.get("/api/v1/events", None).await;
    assert_eq!(r.status, StatusCode::OK);
}
