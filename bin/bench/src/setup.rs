//! Fixture for the workloads: users with tokens, an admin token, and the pending reservations
//! of the confirm storm, all created through the API itself.

use crate::load::{run, Plan, Request};
use std::sync::{Arc, Mutex};

pub const PASSWORD: &str = "bench-password";
pub const USERS: usize = 64;
/// Readers in the drop workload, and the vouchers they rush for.
pub const DROP_READERS: usize = 1_000;
pub const DROP_QUANTITY: i64 = 300;
/// Seats per storm reservation; the storm asks for more than the slot's 50,000.
pub const STORM_SEATS: i64 = 2;
/// Day (from today) and hour of the hot slot.
const HOT: (i64, i64) = (30, 9);

pub struct Fixture {
    pub admin: String,
    pub usernames: Vec<String>,
    pub tokens: Vec<String>,
    pub date: String,
    pub storm_ids: Vec<i64>,
}

pub fn slot(day: i64, hour: i64) -> String {
    let t = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT)
        + time::Duration::days(day)
        + time::Duration::hours(hour);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let (base, method, path, token) = (
        base.to_owned(),
        method.to_owned(),
        path.to_owned(),
        token.map(str::to_owned),
    );
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .finish();
        let mut req = client.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap_or(awc::http::Method::GET),
            format!("{base}{path}"),
        );
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        };
        match res {
            Ok(mut r) => r
                .json()
                .limit(8 << 20)
                .await
                .unwrap_or(serde_json::Value::Null),
            Err(e) => panic!("bench setup: {method} {path} failed: {e}"),
        }
    })
}

fn login(base: &str, username: &str, password: &str) -> String {
    let body = serde_json::json!({"username": username, "password": password});
    let r = call(base, "POST", "/api/v1/auth/login", None, Some(body));
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("bench setup: login of {username} failed: {r}"))
        .to_owned()
}

pub fn prepare(base: &str, admin_user: &str, admin_password: &str, storm: usize) -> Fixture {
    let admin = login(base, admin_user, admin_password);
    let run_id = time::OffsetDateTime::now_utc().unix_timestamp();
    let usernames: Vec<String> = (0..USERS).map(|i| format!("bench{run_id}_{i}")).collect();
    let names = Arc::new(usernames.clone());
    run(
        base,
        Plan::counted(8, USERS as u64),
        Arc::new(move |i| {
            let body = serde_json::json!({"username": names[i as usize], "password": PASSWORD});
            Request::post("/api/v1/auth/signup", None, body)
        }),
    );
    let tokens: Vec<String> = usernames.iter().map(|u| login(base, u, PASSWORD)).collect();

    // The storm's pending reservations, created through the API with the users' tokens.
    let ids = Arc::new(Mutex::new(Vec::with_capacity(storm)));
    let (t, sink) = (Arc::new(tokens.clone()), ids.clone());
    let body = serde_json::json!({
        "starts_at": slot(HOT.0, HOT.1),
        "ends_at": slot(HOT.0, HOT.1 + 1),
        "seats": STORM_SEATS,
    });
    let base_owned = base.to_owned();
    crate::load::run_collect(
        &base_owned,
        Plan::counted(32, storm as u64),
        Arc::new(move |i| {
            Request::post(
                "/api/v1/reservations",
                Some(&t[i as usize % t.len()]),
                body.clone(),
            )
        }),
        Arc::new(move |v: &serde_json::Value| {
            if let (Some(id), Ok(mut s)) = (v["id"].as_i64(), sink.lock()) {
                s.push(id);
            }
        }),
    );
    let storm_ids = ids.lock().map(|v| v.clone()).unwrap_or_default();
    Fixture {
        admin,
        usernames,
        tokens,
        date: (time::OffsetDateTime::now_utc().date() + time::Duration::days(10)).to_string(),
        storm_ids,
    }
}

pub fn hot_slot_confirmed(base: &str, f: &Fixture) -> i64 {
    let date = (time::OffsetDateTime::now_utc().date() + time::Duration::days(HOT.0)).to_string();
    let r = call(
        base,
        "GET",
        &format!("/api/v1/admin/exam-slots?date={date}"),
        Some(&f.admin),
        None,
    );
    r["slots"][HOT.1 as usize]["confirmed"]
        .as_i64()
        .unwrap_or(-1)
}

/// Readers for the voucher drop, each with a token, and a voucher of `quantity`.
pub struct Drop {
    pub voucher_id: i64,
    pub tokens: Vec<String>,
}

pub fn prepare_drop(base: &str, admin: &str, readers: usize, quantity: i64) -> Drop {
    let run_id = time::OffsetDateTime::now_utc().unix_timestamp();
    let names: Arc<Vec<String>> = Arc::new(
        (0..readers)
            .map(|i| format!("reader{run_id}_{i}"))
            .collect(),
    );
    let n = names.clone();
    run(
        base,
        Plan::counted(16, readers as u64),
        Arc::new(move |i| {
            let body = serde_json::json!({"username": n[i as usize], "password": PASSWORD});
            Request::post("/api/v1/auth/signup", None, body)
        }),
    );
    let tokens = Arc::new(Mutex::new(Vec::with_capacity(readers)));
    let (n, sink) = (names.clone(), tokens.clone());
    crate::load::run_collect(
        base,
        Plan::counted(16, readers as u64),
        Arc::new(move |i| {
            let body = serde_json::json!({"username": n[i as usize], "password": PASSWORD});
            Request::post("/api/v1/auth/login", None, body)
        }),
        Arc::new(move |v: &serde_json::Value| {
            if let (Some(t), Ok(mut s)) = (v["access_token"].as_str(), sink.lock()) {
                s.push(t.to_owned());
            }
        }),
    );
    let book = call(
        base,
        "POST",
        "/api/v1/admin/books",
        Some(admin),
        Some(serde_json::json!({"title": format!("Bench drop {run_id}")})),
    );
    let voucher = call(
        base,
        "POST",
        "/api/v1/admin/vouchers",
        Some(admin),
        Some(serde_json::json!({
            "book_id": book["id"], "code": format!("DROP-{run_id}"), "quantity": quantity
        })),
    );
    Drop {
        voucher_id: voucher["id"].as_i64().unwrap_or(-1),
        tokens: tokens.lock().map(|v| v.clone()).unwrap_or_default(),
    }
}
