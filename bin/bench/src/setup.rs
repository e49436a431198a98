//! Fixture for the workloads: users with tokens, an admin token, and the pending reservations
//! of the confirm storm, all created through the API itself.

use crate::load::{run, Plan, Request};
use std::sync::{Arc, Mutex};

pub const PASSWORD: &str = "bench-password";
/// Users who create reservations (W2) and log in (W4).
pub const USERS: usize = 64;
/// Users who read availability (W1), over this many dates.
pub const READERS: usize = 200;
pub const DATES: i64 = 56;
/// Readers in the drop, the repeat presses among them, and the vouchers they rush for.
pub const DROP_READERS: usize = 3_000;
pub const DROP_REPEATS: usize = 500;
pub const DROP_QUANTITY: i64 = 200;
/// The confirm storm: 400 reservations of 200 seats on one slot of 50,000 (250 fit).
pub const STORM: usize = 400;
pub const STORM_SEATS: i64 = 200;
/// The storm runs this many times, each on a hot slot of its own, so the rate is a steady
/// state rather than the warm-up of one 400-request burst.
pub const STORM_ROUNDS: usize = 8;
/// Day (from today) of the hot slots; round `r` storms hour `HOT_FIRST_HOUR + r`.
const HOT_DAY: i64 = 30;
const HOT_FIRST_HOUR: i64 = 8;

pub struct Fixture {
    pub admin: String,
    pub usernames: Vec<String>,
    /// Tokens of the first `USERS` users.
    pub tokens: Vec<String>,
    /// Tokens of all `READERS` users.
    pub readers: Vec<String>,
    pub dates: Vec<String>,
    /// The pending reservations of each storm round.
    pub storm_ids: Vec<Vec<i64>>,
}

pub fn slot(day: i64, hour: i64) -> String {
    let t = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT)
        + time::Duration::days(day)
        + time::Duration::hours(hour);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn call(
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

/// Signs `names` up and logs each in, through the API: one token per name (in no particular
/// order: every workload only needs some user's token).
fn accounts(base: &str, names: &[String]) -> Vec<String> {
    let names = Arc::new(names.to_vec());
    let n = names.clone();
    run(
        base,
        Plan::counted(16, names.len() as u64),
        Arc::new(move |i| {
            let body = serde_json::json!({"username": n[i as usize], "password": PASSWORD});
            Request::post("/api/v1/auth/signup", None, body)
        }),
    );
    let tokens = Arc::new(Mutex::new(Vec::with_capacity(names.len())));
    let (n, sink) = (names.clone(), tokens.clone());
    crate::load::run_collect(
        base,
        Plan::counted(16, names.len() as u64),
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
    let tokens = tokens.lock().map(|t| t.clone()).unwrap_or_default();
    assert_eq!(
        tokens.len(),
        names.len(),
        "bench setup: some log-ins failed"
    );
    tokens
}

pub fn prepare(base: &str, admin_user: &str, admin_password: &str) -> Fixture {
    let admin = login(base, admin_user, admin_password);
    let run_id = time::OffsetDateTime::now_utc().unix_timestamp();
    let usernames: Vec<String> = (0..READERS).map(|i| format!("bench{run_id}_{i}")).collect();
    let readers = accounts(base, &usernames);
    let tokens = readers[..USERS].to_vec();
    let usernames = usernames[..USERS].to_vec();
    let storm_ids = (0..STORM_ROUNDS)
        .map(|round| storm(base, &tokens, HOT_FIRST_HOUR + round as i64))
        .collect();
    let today = time::OffsetDateTime::now_utc().date();
    let dates = (0..DATES)
        .map(|d| (today + time::Duration::days(5 + d)).to_string())
        .collect();
    Fixture {
        admin,
        usernames,
        tokens,
        readers,
        dates,
        storm_ids,
    }
}

/// `STORM` pending reservations of `STORM_SEATS` on the hot slot at `hour`, created through the
/// API with the users' tokens.
fn storm(base: &str, tokens: &[String], hour: i64) -> Vec<i64> {
    let ids = Arc::new(Mutex::new(Vec::with_capacity(STORM)));
    let (t, sink) = (Arc::new(tokens.to_vec()), ids.clone());
    let body = serde_json::json!({
        "starts_at": slot(HOT_DAY, hour),
        "ends_at": slot(HOT_DAY, hour + 1),
        "seats": STORM_SEATS,
    });
    crate::load::run_collect(
        base,
        Plan::counted(32, STORM as u64),
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
    let ids = ids.lock().map(|v| v.clone()).unwrap_or_default();
    ids
}

/// The confirmed seats of storm round `round`'s hot slot.
pub fn hot_slot_confirmed(base: &str, f: &Fixture, round: usize) -> i64 {
    let date = (time::OffsetDateTime::now_utc().date() + time::Duration::days(HOT_DAY)).to_string();
    let r = call(
        base,
        "GET",
        &format!("/api/v1/admin/exam-slots?date={date}"),
        Some(&f.admin),
        None,
    );
    r["slots"][(HOT_FIRST_HOUR as usize) + round]["confirmed"]
        .as_i64()
        .unwrap_or(-1)
}

/// Readers for the voucher drop, each with a token, and a voucher of `DROP_QUANTITY`.
pub struct Drop {
    pub voucher_id: i64,
    pub tokens: Vec<String>,
}

impl Drop {
    /// Every reader presses once, and `DROP_REPEATS` of them press a second time, spread
    /// through the rush.
    pub fn presses(&self) -> Vec<String> {
        let mut presses = self.tokens.clone();
        let step = (presses.len() / DROP_REPEATS.max(1)).max(1);
        for (n, token) in self.tokens.iter().take(DROP_REPEATS).enumerate() {
            let at = (n * step + step / 2).min(presses.len());
            presses.insert(at, token.clone());
        }
        presses
    }
}

pub fn prepare_drop(base: &str, admin: &str) -> Drop {
    let run_id = time::OffsetDateTime::now_utc().unix_timestamp();
    let names: Vec<String> = (0..DROP_READERS)
        .map(|i| format!("reader{run_id}_{i}"))
        .collect();
    let tokens = accounts(base, &names);
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
            "book_id": book["id"], "code": format!("DROP-{run_id}"), "quantity": DROP_QUANTITY
        })),
    );
    Drop {
        voucher_id: voucher["id"].as_i64().unwrap_or(-1),
        tokens,
    }
}
