//! The audit trail: every admin action leaves one row, written with the change itself, and
//! nothing else does; rows can be filtered and never rewritten.

use integration_tests::app::{slot, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::{json, Value};

async fn audit(app: &TestApp, admin: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/admin/audit?{query}"), Some(admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {:?}", r.body);
    r.body
}

async fn reserve(app: &TestApp, token: &str, day: i64, hour: i64, seats: i64) -> i64 {
    app.reserved(token, &slot(day, hour), &slot(day, hour + 1), seats)
        .await
}

async fn every_admin_action_is_audited_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("APP__BOOKING__SLOT_CAPACITY", "10")]).await;
    let (admin, admin_id) = app.admin().await;
    let (user, user_id) = app.user().await;

    // Creating an admin from the command line is audited, with no actor.
    let created = audit(&app, &admin, "action=user.admin_created").await;
    assert_eq!(created["total"], 1);
    assert!(created["items"][0]["actor_id"].is_null());
    assert_eq!(created["items"][0]["target_id"], admin_id);

    // An owner's own edits and cancellations are not admin actions.
    let own = reserve(&app, &user, 10, 9, 2).await;
    let r = app
        .patch(
            &format!("/api/v1/reservations/{own}"),
            Some(&user),
            &json!({"seats": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    app.delete(&format!("/api/v1/reservations/{own}"), Some(&user))
        .await;
    assert_eq!(
        audit(&app, &admin, "target_kind=reservation").await["total"],
        0
    );

    // Confirm, edit, cancel by an admin: one row each, with before and after.
    let id = reserve(&app, &user, 10, 9, 4).await;
    let r = app.confirm(&admin, id).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .patch(
            &format!("/api/v1/admin/reservations/{id}"),
            Some(&admin),
            &json!({"seats": 6}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    app.delete(&format!("/api/v1/admin/reservations/{id}"), Some(&admin))
        .await;

    // "Who confirmed my reservation?" is one query.
    let trail = audit(
        &app,
        &admin,
        &format!("target_kind=reservation&target_id={id}"),
    )
    .await;
    assert_eq!(trail["total"], 3, "{trail}");
    let items = trail["items"].as_array().expect("items");
    let actions: Vec<&str> = items
        .iter()
        .map(|i| i["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "reservation.cancelled",
            "reservation.edited",
            "reservation.confirmed"
        ],
        "newest first"
    );
    assert!(items.iter().all(|i| i["actor_id"] == admin_id));
    assert_eq!(
        items[2]["changes"]["status"],
        json!({"before": "pending", "after": "confirmed"})
    );
    assert_eq!(
        items[1]["changes"]["seats"],
        json!({"before": 4, "after": 6})
    );
    assert_eq!(
        items[0]["changes"]["status"],
        json!({"before": "confirmed", "after": "cancelled"})
    );

    // A refused confirm changes nothing and leaves no row.
    let big = reserve(&app, &user, 11, 9, 8).await;
    let other = reserve(&app, &user, 11, 9, 8).await;
    let confirm = |rid: i64| format!("/api/v1/admin/reservations/{rid}/confirm");
    assert_eq!(
        app.call("POST", &confirm(big), Some(&admin), None)
            .await
            .status,
        StatusCode::OK
    );
    let refused = app.call("POST", &confirm(other), Some(&admin), None).await;
    assert_eq!(refused.code(), "insufficient_capacity");
    let rows = audit(
        &app,
        &admin,
        &format!("target_kind=reservation&target_id={other}"),
    )
    .await;
    assert_eq!(rows["total"], 0, "{rows}");

    // Users: a role change and a deletion.
    let r = app
        .patch(
            &format!("/api/v1/admin/users/{user_id}"),
            Some(&admin),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (doomed, doomed_id) = app.user().await;
    drop(doomed);
    assert_eq!(
        app.delete(&format!("/api/v1/admin/users/{doomed_id}"), Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let users = audit(&app, &admin, "target_kind=user").await;
    let changed = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["action"] == "user.changed")
        .expect("role change audited");
    assert_eq!(changed["target_id"], user_id);
    assert_eq!(
        changed["changes"]["role"],
        json!({"before": "user", "after": "admin"})
    );
    let deleted = audit(
        &app,
        &admin,
        &format!("action=user.deleted&target_id={doomed_id}"),
    )
    .await;
    assert_eq!(deleted["total"], 1);

    // Books and vouchers.
    let book = app.book(&admin, "Dune").await;
    let body = json!({"book_id": book, "code": "DUNE-1", "quantity": 5});
    let r = app
        .post("/api/v1/admin/vouchers", Some(&admin), &body)
        .await;
    let voucher = r.body["id"].as_i64().expect("voucher");
    let r = app
        .patch(
            &format!("/api/v1/admin/vouchers/{voucher}"),
            Some(&admin),
            &json!({"quantity": 9, "status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let b = audit(
        &app,
        &admin,
        &format!("action=book.created&target_id={book}"),
    )
    .await;
    assert_eq!(b["items"][0]["changes"]["title"]["after"], "Dune");
    let v = audit(&app, &admin, "target_kind=voucher").await;
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"][0]["action"], "voucher.changed");
    assert_eq!(
        v["items"][0]["changes"]["quantity"],
        json!({"before": 5, "after": 9})
    );
    assert_eq!(
        v["items"][0]["changes"]["closed"],
        json!({"before": false, "after": true})
    );
    assert_eq!(v["items"][1]["changes"]["code"]["after"], "DUNE-1");

    // Filters and paging.
    let by_admin = audit(&app, &admin, &format!("actor_id={admin_id}&per_page=2")).await;
    assert_eq!(by_admin["items"].as_array().expect("items").len(), 2);
    assert!(by_admin["total"].as_i64().expect("total") >= 8);
    let old = audit(&app, &admin, "to=2000-01-01T00:00:00Z").await;
    assert_eq!(old["total"], 0);
    let recent = audit(&app, &admin, "from=2000-01-01T00:00:00Z").await;
    assert_eq!(
        recent["total"],
        by_admin["total"].as_i64().expect("total") + 1,
        "plus the command line's"
    );
    for bad in [
        "action=reservation.deleted",
        "target_kind=shelf",
        "from=yesterday",
        "actor_id=x",
        "colour=red",
    ] {
        let r = app
            .get(&format!("/api/v1/admin/audit?{bad}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (someone, _) = app.user().await;
    assert_eq!(
        app.get("/api/v1/admin/audit", Some(&someone)).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn audit_rows_name_the_client_address_as_the_throttle_and_the_log_do(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            ("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
            ("APP__BOOKING__SLOT_CAPACITY", "10"),
        ],
    )
    .await;
    let (admin, _) = app.admin().await;
    let (user, _) = app.user().await;
    let confirm = |id: i64, forwarded: &'static str| {
        let path = format!("/api/v1/admin/reservations/{id}/confirm");
        let app = &app;
        let admin = admin.clone();
        async move {
            let auth = format!("Bearer {admin}");
            let headers = [
                ("Authorization", auth.as_str()),
                ("X-Forwarded-For", forwarded),
            ];
            let r = app.send("POST", &path, None, None, None, &headers).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    };
    let first = reserve(&app, &user, 10, 9, 2).await;
    // A forged left-most entry is not believed; the proxy's own entry is.
    confirm(first, "6.6.6.6, 198.51.100.7").await;
    let trail = audit(
        &app,
        &admin,
        &format!("target_kind=reservation&target_id={first}"),
    )
    .await;
    assert_eq!(trail["items"][0]["client_address"], "198.51.100.7");

    // Without trusted proxies the header is ignored: the TCP peer is the client.
    let direct = TestApp::spawn_with(backend, &[]).await;
    let (admin, _) = direct.admin().await;
    let (user, _) = direct.user().await;
    let id = reserve(&direct, &user, 10, 9, 2).await;
    let auth = format!("Bearer {admin}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("X-Forwarded-For", "198.51.100.7"),
    ];
    let path = format!("/api/v1/admin/reservations/{id}/confirm");
    let r = direct.send("POST", &path, None, None, None, &headers).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let trail = audit(
        &direct,
        &admin,
        &format!("target_kind=reservation&target_id={id}"),
    )
    .await;
    assert_eq!(trail["items"][0]["client_address"], "127.0.0.1");
    // The command line has no address.
    let created = audit(&direct, &admin, "action=user.admin_created").await;
    assert!(created["items"][0]["client_address"].is_null());
}

async fn audit_rows_cannot_be_rewritten_even_by_hand(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _ = app.admin().await;
    let mut statements = vec![
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
    ];
    if backend == Backend::Server {
        // TRUNCATE skips row triggers: it has a statement-level one of its own.
        statements.push("TRUNCATE audit_log");
    }
    for sql in statements {
        let refused = app.store.execute_raw(sql).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("never updated or deleted")),
            "{sql}: {refused:?}"
        );
    }
}

on_both_backends!(
    every_admin_action_is_audited_and_nothing_else,
    audit_rows_name_the_client_address_as_the_throttle_and_the_log_do,
    audit_rows_cannot_be_rewritten_even_by_hand,
);
