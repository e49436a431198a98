//! The embedded default as a newcomer runs it: no DATABASE_URL, no REDIS_URL. What was
//! confirmed and claimed before the process is killed is all there after a restart.

use serde_json::{json, Value};
use std::path::PathBuf;

mod common;
use common::{create_admin, embedded_command, start_all, Server};

/// A folder of this test's own (not created yet: the server must create it), removed at the end.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn call(s: &Server, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let client = awc::Client::default();
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = if body.is_null() {
        req.send().await
    } else {
        req.send_json(&body).await
    }
    .expect("request sent");
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(
        status < 300,
        "{method_path} answered {status}: {body}",
        method_path = path
    );
    body
}

async fn login(s: &Server, username: &str, password: &str) -> String {
    let body = json!({"username": username, "password": password});
    let r = call(s, "POST", "/api/v1/auth/login", None, body).await;
    r["access_token"].as_str().expect("token").to_owned()
}

fn slot(days: i64, hour: i64) -> String {
    let t = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT)
        + time::Duration::days(days)
        + time::Duration::hours(hour);
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

#[actix_web::test]
async fn a_confirmed_reservation_and_a_claim_survive_a_killed_process() {
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "exam-booking-restart-{}",
        uuid::Uuid::new_v4().simple()
    )));
    let file = scratch.0.join("data/exam-booking.sqlite3");
    create_admin(embedded_command(&file), "root", "rootpassword");

    let server = start_all([embedded_command(&file)]).await.remove(0);
    let admin = login(&server, "root", "rootpassword").await;
    let signup = json!({"username": "reader", "password": "password123"});
    call(&server, "POST", "/api/v1/auth/signup", None, signup).await;
    let reader = login(&server, "reader", "password123").await;
    let reservation = json!({"starts_at": slot(5, 10), "ends_at": slot(5, 12), "seats": 7});
    let r = call(
        &server,
        "POST",
        "/api/v1/reservations",
        Some(&reader),
        reservation,
    )
    .await;
    let id = r["id"].as_i64().expect("reservation id");
    let confirm = format!("/api/v1/admin/reservations/{id}/confirm");
    call(&server, "POST", &confirm, Some(&admin), Value::Null).await;
    let book = call(
        &server,
        "POST",
        "/api/v1/admin/books",
        Some(&admin),
        json!({"title": "Dune"}),
    )
    .await;
    let voucher = json!({"book_id": book["id"], "code": "DUNE-1", "quantity": 3});
    let v = call(
        &server,
        "POST",
        "/api/v1/admin/vouchers",
        Some(&admin),
        voucher,
    )
    .await;
    let claim = format!("/api/v1/events/{}/claim", v["id"]);
    let claimed = call(&server, "POST", &claim, Some(&reader), Value::Null).await;
    let code = claimed["code"]
        .as_str()
        .expect("a redemption code")
        .to_owned();
    drop(server); // SIGKILL: no graceful shutdown, no chance to flush anything late.

    let server = start_all([embedded_command(&file)]).await.remove(0);
    let reader = login(&server, "reader", "password123").await;
    let r = call(
        &server,
        "GET",
        &format!("/api/v1/reservations/{id}"),
        Some(&reader),
        Value::Null,
    )
    .await;
    assert_eq!(
        (r["status"].as_str(), r["seats"].as_i64()),
        (Some("confirmed"), Some(7))
    );
    let day = &slot(5, 0)[..10];
    let available = format!("/api/v1/exam-slots/available?date={day}");
    let slots = call(&server, "GET", &available, Some(&reader), Value::Null).await;
    let remaining: Vec<i64> = slots["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .filter(|s| s["starts_at"] == slot(5, 10) || s["starts_at"] == slot(5, 11))
        .map(|s| s["remaining"].as_i64().expect("remaining"))
        .collect();
    assert_eq!(remaining, vec![49_993, 49_993], "{slots}");
    let mine = call(
        &server,
        "GET",
        "/api/v1/users/me/vouchers",
        Some(&reader),
        Value::Null,
    )
    .await;
    assert_eq!(
        mine["items"][0]["code"],
        code.as_str(),
        "the same code: {mine}"
    );
    let live = call(&server, "GET", "/api/v1/events", None, Value::Null).await;
    assert_eq!(live["items"][0]["remaining"], 2, "{live}");
}
