//! End to end over HTTP: the voucher drop.

use integration_tests::app::{StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::{json, Value};

async fn book(app: &TestApp, admin: &str, title: &str) -> i64 {
    let r = app
        .post(
            "/api/v1/admin/books",
            Some(admin),
            &json!({"title": title, "author": "A. Writer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_i64().expect("id")
}

async fn voucher(app: &TestApp, admin: &str, body: Value) -> Value {
    let r = app.post("/api/v1/admin/vouchers", Some(admin), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

fn rfc3339(offset_minutes: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::minutes(offset_minutes))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

async fn live_ids(app: &TestApp) -> Vec<i64> {
    let r = app.get("/api/v1/events", None).await;
    assert_eq!(r.status, StatusCode::OK);
    r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| v["id"].as_i64().expect("id"))
        .collect()
}

async fn admins_publish_books_and_vouchers_with_every_rule_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    let book_id = book(&app, &admin, "Dune").await;
    let v = voucher(
        &app,
        &admin,
        json!({"book_id": book_id, "code": "DUNE-1", "quantity": 3}),
    )
    .await;
    assert_eq!(v["code"], "DUNE-1");
    assert_eq!(v["quantity"], 3);
    assert_eq!(v["remaining"], 3);
    assert_eq!(v["status"], "active");
    assert_eq!(v["book"]["title"], "Dune");
    assert_eq!(v["book"]["author"], "A. Writer");
    assert!(v["opens_at"].is_null());

    let cases = [
        (
            json!({"book_id": book_id, "code": "DUNE-1", "quantity": 1}),
            409,
            "duplicate_code",
        ),
        (
            json!({"book_id": 9999, "code": "NOPE-1", "quantity": 1}),
            404,
            "not_found",
        ),
        (
            json!({"book_id": book_id, "code": "X", "quantity": 1}),
            422,
            "invalid_voucher",
        ),
        (
            json!({"book_id": book_id, "code": "ZERO-1", "quantity": 0}),
            422,
            "invalid_voucher",
        ),
        (
            json!({"book_id": book_id, "code": "WIN-1", "quantity": 1,
                   "opens_at": rfc3339(60), "closes_at": rfc3339(30)}),
            422,
            "invalid_voucher",
        ),
        (
            json!({"book_id": book_id, "code": "T-1", "quantity": "3"}),
            400,
            "malformed_request",
        ),
    ];
    for (body, status, code) in cases {
        let r = app
            .post("/api/v1/admin/vouchers", Some(&admin), &body)
            .await;
        assert_eq!(r.status.as_u16(), status, "{body}");
        assert_eq!(r.code(), code, "{body}");
    }
    let r = app
        .post("/api/v1/admin/books", Some(&admin), &json!({"title": "  "}))
        .await;
    assert_eq!(r.code(), "invalid_book");
    for (method, path) in [
        ("GET", "/api/v1/admin/books"),
        ("GET", "/api/v1/admin/vouchers"),
        ("POST", "/api/v1/admin/books"),
    ] {
        let r = app.call(method, path, Some(&user), Some("{}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    let r = app.get("/api/v1/admin/vouchers", Some(&admin)).await;
    assert_eq!(r.body["total"], 1);
    let r = app.get("/api/v1/admin/books", Some(&admin)).await;
    assert_eq!(r.body["total"], 1);
}

async fn claims_count_down_once_per_user_and_sold_out_vouchers_leave_the_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let book_id = book(&app, &admin, "Solaris").await;
    let v = voucher(
        &app,
        &admin,
        json!({"book_id": book_id, "code": "SOL-1", "quantity": 2}),
    )
    .await;
    let id = v["id"].as_i64().expect("id");
    let claim_path = format!("/api/v1/events/{id}/claim");
    assert_eq!(live_ids(&app).await, vec![id]);

    let r = app.call("POST", &claim_path, None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let (alice, alice_id) = app.user().await;
    let r = app.call("POST", &claim_path, Some(&alice), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["voucher_id"], id);
    assert_eq!(r.body["user_id"], alice_id);
    let code = r.body["code"].as_str().expect("a redemption code");
    assert_ne!(
        code, "SOL-1",
        "each claim gets its own code, not the campaign's"
    );
    assert_eq!(code.len(), 19, "16 characters in four groups: {code}");
    assert_eq!(r.body["book"]["title"], "Solaris");
    assert!(r.body["used_at"].is_null());
    let r = app.call("POST", &claim_path, Some(&alice), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_claimed");

    let (bob, _) = app.user().await;
    assert_eq!(
        app.call("POST", &claim_path, Some(&bob), None).await.status,
        StatusCode::CREATED
    );
    assert!(live_ids(&app).await.is_empty(), "sold out leaves the page");

    let (carol, _) = app.user().await;
    let r = app.call("POST", &claim_path, Some(&carol), None).await;
    assert_eq!(r.code(), "sold_out");
    // Once sold out, every press is answered from memory as sold out, the claimer's too (her
    // claim is listed under /users/me/vouchers).
    let r = app.call("POST", &claim_path, Some(&alice), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "sold_out");

    let r = app
        .call("POST", "/api/v1/events/99999/claim", Some(&carol), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call("POST", "/api/v1/events/abc/claim", Some(&carol), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // More stock makes it live again.
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{id}"),
            Some(&admin),
            &json!({"quantity": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (r.body["remaining"].as_i64(), r.body["status"].as_str()),
        (Some(1), Some("active"))
    );
    assert_eq!(
        app.call("POST", &claim_path, Some(&carol), None)
            .await
            .status,
        StatusCode::CREATED
    );
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{id}"),
            Some(&admin),
            &json!({"quantity": 2}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "quantity only grows"
    );

    let r = app
        .get(&format!("/api/v1/admin/vouchers/{id}/claims"), Some(&admin))
        .await;
    assert_eq!(r.body["total"], 3);
    let r = app
        .get("/api/v1/admin/vouchers/424242/claims", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn the_claim_window_and_the_admin_switch_are_respected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    let book_id = book(&app, &admin, "Kindred").await;
    let later = voucher(
        &app,
        &admin,
        json!({"book_id": book_id, "code": "LATER-1", "quantity": 5, "opens_at": rfc3339(60)}),
    )
    .await;
    let later_id = later["id"].as_i64().expect("id");
    // Listed before it opens, so that readers see when it will.
    assert_eq!(live_ids(&app).await, vec![later_id]);
    let listed = app.get("/api/v1/events", None).await;
    assert_eq!(listed.body["items"][0]["opens_at"], later["opens_at"]);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/events/{later_id}/claim"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "not_open_yet");

    // Open it now; then switch it off.
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{later_id}"),
            Some(&admin),
            &json!({"opens_at": rfc3339(-1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(live_ids(&app).await, vec![later_id]);
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{later_id}"),
            Some(&admin),
            &json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.body["status"], "closed");
    assert!(live_ids(&app).await.is_empty());
    let r = app
        .call(
            "POST",
            &format!("/api/v1/events/{later_id}/claim"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(r.code(), "voucher_closed");
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{later_id}"),
            Some(&admin),
            &json!({"status": "sold_out"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "sold_out is derived, not set"
    );
}

async fn own_vouchers_are_listed_newest_first_and_used_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    let (other, _) = app.user().await;
    let mut claim_ids = Vec::new();
    for (i, title) in ["Ubik", "Emma"].iter().enumerate() {
        let b = book(&app, &admin, title).await;
        let v = voucher(
            &app,
            &admin,
            json!({"book_id": b, "code": format!("C-{i}00"), "quantity": 5}),
        )
        .await;
        let r = app
            .call(
                "POST",
                &format!("/api/v1/events/{}/claim", v["id"]),
                Some(&user),
                None,
            )
            .await;
        claim_ids.push(r.body["id"].as_i64().expect("claim id"));
    }
    let r = app.get("/api/v1/users/me/vouchers", Some(&user)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["total"], 2);
    let listed: Vec<i64> = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(listed, vec![claim_ids[1], claim_ids[0]]);

    let use_path = format!("/api/v1/users/me/vouchers/{}/use", claim_ids[0]);
    let r = app.call("POST", &use_path, Some(&other), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "someone else's claim");
    let r = app.call("POST", &use_path, Some(&user), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["used_at"].is_string());
    let r = app.call("POST", &use_path, Some(&user), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_used");
    let r = app.get("/api/v1/users/me/vouchers", Some(&other)).await;
    assert_eq!(r.body["total"], 0);
}

async fn the_event_page_and_its_assets_are_served_locally(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/events", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/html"));
    let html = String::from_utf8_lossy(&r.raw);
    assert!(html.contains("/events/app.js") && html.contains("<label for=\"username\">"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
    let r = app.get("/events/app.js", None).await;
    assert!(r.content_type.starts_with("text/javascript"));
    let r = app.get("/events/style.css", None).await;
    assert!(r.content_type.starts_with("text/css"));
    let r = app.get("/events/secrets.txt", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

on_both_backends!(
    admins_publish_books_and_vouchers_with_every_rule_checked,
    claims_count_down_once_per_user_and_sold_out_vouchers_leave_the_page,
    the_claim_window_and_the_admin_switch_are_respected,
    own_vouchers_are_listed_newest_first_and_used_once,
    the_event_page_and_its_assets_are_served_locally,
);

#[actix_web::test]
async fn presses_after_a_sell_out_need_neither_redis_nor_the_database() {
    let app = TestApp::spawn(Backend::Server).await;
    let (admin, _) = app.admin().await;
    let book_id = book(&app, &admin, "Ubik").await;
    let v = voucher(
        &app,
        &admin,
        json!({"book_id": book_id, "code": "UBIK-1", "quantity": 1}),
    )
    .await;
    let claim_path = format!("/api/v1/events/{}/claim", v["id"]);
    let (first, _) = app.user().await;
    let (late, _) = app.user().await;
    let r = app.call("POST", &claim_path, Some(&first), None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app.call("POST", &claim_path, Some(&late), None).await;
    assert_eq!(r.code(), "sold_out");

    // Take both away: the gate's keys and the whole database.
    app.redis().flush_prefix().await;
    let name = app.pg().url().rsplit('/').next().expect("name").to_owned();
    let mut admin_conn = {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&integration_tests::db::admin_url())
            .await
            .expect("admin")
    };
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin_conn)
        .await
        .expect("dropped");

    // Within the memo's second, presses are still answered, and correctly.
    let r = app.call("POST", &claim_path, Some(&late), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "sold_out");
    // A bad token is still refused first.
    let r = app
        .call("POST", &claim_path, Some("not-a-token"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
