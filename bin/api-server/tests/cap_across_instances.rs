//! The cap holds across processes: three api-server processes share one database and one
//! Redis, and 400 confirms of 200 seats race on one hourly slot (80,000 asked, 50,000 allowed).

use integration_tests::app::{day, slot};
use integration_tests::db::TestDb;
use integration_tests::redis::TestRedis;
use serde_json::{json, Value};
use std::time::Duration;

mod common;
use common::{command, create_admin, spawn_servers, Server};

async fn call(
    client: &awc::Client,
    method: &str,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let req = client
        .request(
            awc::http::Method::from_bytes(method.as_bytes()).expect("method"),
            url,
        )
        .insert_header(("Authorization", format!("Bearer {token}")));
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .expect("sent");
    let bytes = res.body().limit(8 << 20).await.expect("body");
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn login(client: &awc::Client, base: &str, username: &str, password: &str) -> String {
    let mut r = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": username, "password": password}))
        .await
        .expect("login");
    let body: Value = r.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

/// Creates `hours.len()` pending reservations of 200 seats (one per entry, starting at that
/// hour of day 10 and lasting `length` hours), confirms them all at once spread over the
/// servers, and returns how many confirms succeeded, with every status seen.
async fn race(servers: &[Server], starts: &[i64], length: i64) -> (usize, Vec<u16>, String) {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish();
    let base = &servers[0].base;
    let admin = login(&client, base, "root", "rootpassword").await;
    let signup = client
        .post(format!("{base}/api/v1/auth/signup"))
        .send_json(&json!({"username": "booker", "password": "password123"}))
        .await
        .expect("signup")
        .status();
    assert!(signup.as_u16() == 201 || signup.as_u16() == 409);
    let user = login(&client, base, "booker", "password123").await;

    let mut ids = Vec::new();
    for h in starts {
        let body =
            json!({"starts_at": slot(10, *h), "ends_at": slot(10, h + length), "seats": 200});
        let (status, r) = call(
            &client,
            "POST",
            format!("{base}/api/v1/reservations"),
            &user,
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{r}");
        ids.push(r["id"].as_i64().expect("id"));
    }

    let mut handles = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let url = format!(
            "{}/api/v1/admin/reservations/{id}/confirm",
            servers[i % servers.len()].base
        );
        let (client, admin) = (client.clone(), admin.clone());
        handles.push(actix_web::rt::spawn(async move {
            call(&client, "POST", url, &admin, None).await.0
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.expect("task"));
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    (ok, statuses, admin)
}

/// Confirmed seats per hour of day 10, and the sum recomputed from confirmed reservations.
async fn counters(base: &str, admin: &str) -> (Vec<i64>, Vec<i64>) {
    let client = awc::Client::default();
    let (_, slots) = call(
        &client,
        "GET",
        format!("{base}/api/v1/admin/exam-slots?date={}", day(10)),
        admin,
        None,
    )
    .await;
    let counted: Vec<i64> = slots["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| s["confirmed"].as_i64().expect("confirmed"))
        .collect();
    let mut recomputed = vec![0i64; 24];
    let mut page = 1;
    loop {
        let url =
            format!("{base}/api/v1/admin/reservations?status=confirmed&per_page=200&page={page}");
        let (_, list) = call(&client, "GET", url, admin, None).await;
        let items = list["items"].as_array().expect("items");
        if items.is_empty() {
            break;
        }
        for r in items {
            let hour = |k: &str| -> i64 {
                let t = time::OffsetDateTime::parse(
                    r[k].as_str().expect("time"),
                    &time::format_description::well_known::Rfc3339,
                )
                .expect("rfc3339");
                i64::from(t.hour())
            };
            for h in hour("starts_at")..hour("ends_at") {
                recomputed[h as usize] += r["seats"].as_i64().expect("seats");
            }
        }
        page += 1;
    }
    (counted, recomputed)
}

#[actix_web::test]
async fn four_hundred_confirms_through_three_processes_fill_one_slot_exactly() {
    let db = TestDb::new().await;
    let redis = TestRedis::new().await;
    create_admin(command(&db, &redis), "root", "rootpassword");
    let servers = spawn_servers(&db, &redis, 3).await;

    let (ok, statuses, admin) = race(&servers, &[9; 400], 1).await;
    assert!(statuses.iter().all(|s| *s < 500), "no 5xx: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(ok, 250, "50,000 / 200 seats");
    let (counted, recomputed) = counters(&servers[1].base, &admin).await;
    assert_eq!(counted[9], 50_000);
    assert_eq!(counted, recomputed);
}

#[actix_web::test]
async fn overlapping_three_hour_confirms_through_three_processes_never_overfill() {
    let db = TestDb::new().await;
    let redis = TestRedis::new().await;
    create_admin(command(&db, &redis), "root", "rootpassword");
    let servers = spawn_servers(&db, &redis, 3).await;

    // Starts at 8, 9 and 10 interleaved: every reservation shares hours with the others.
    let starts: Vec<i64> = (0..400).map(|i| 8 + (i % 3)).collect();
    let (ok, statuses, admin) = race(&servers, &starts, 3).await;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let (counted, recomputed) = counters(&servers[2].base, &admin).await;
    assert_eq!(counted, recomputed, "counters equal the confirmed seats");
    assert!(counted.iter().all(|c| *c <= 50_000));
    assert_eq!(
        counted[10], 50_000,
        "the hour every reservation covers is full"
    );
    assert_eq!(ok, 250);
}
