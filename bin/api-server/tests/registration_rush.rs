//! Registration day through three api-server processes: 3,000 candidates ask for one
//! first-come hour of 50,000 seats at once (half of them willing to wait), then 500 of them
//! cancel while 500 more ask. The database must then hold every first-come promise.

use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use integration_tests::db::TestDb;
use integration_tests::redis::TestRedis;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

mod common;
use common::{spawn_servers, users};

const FIRST_WAVE: usize = 3_000;
const CANCELS: usize = 500;
const SECOND_WAVE: usize = 500;
const CAPACITY: i64 = 50_000;

/// Hour 9 of the day ten days from now (UTC).
struct Hour {
    starts_at: String,
    ends_at: String,
    secs: i64,
}

fn the_hour() -> Hour {
    let start = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT)
        + time::Duration::days(10)
        + time::Duration::hours(9);
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("format")
    };
    Hour {
        starts_at: rfc(start),
        ends_at: rfc(start + time::Duration::HOUR),
        secs: start.unix_timestamp(),
    }
}

/// 20 to 40 seats, spread evenly but not in order.
fn seats_of(i: usize) -> i64 {
    20 + (i * 7_919 % 21) as i64
}

/// What one request got: its status and, when created, the reservation.
type Answer = (u16, Value);

async fn send(
    client: &awc::Client,
    method: &str,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let request = match method {
        "DELETE" => client.delete(url),
        "PATCH" => client.patch(url),
        "GET" => client.get(url),
        _ => client.post(url),
    }
    .insert_header(("Authorization", format!("Bearer {token}")));
    let sent = match body {
        Some(body) => request.send_json(&body).await,
        None => request.send().await,
    };
    match sent {
        Ok(mut res) => {
            let status = res.status().as_u16();
            let body: Value = res.json().limit(1 << 20).await.unwrap_or_default();
            (status, body)
        }
        Err(e) => (0, json!({"error": e.to_string()})),
    }
}

/// Candidate `i` asks, through process `i % 3`; even candidates wait when the hour is full.
fn ask(
    client: &awc::Client,
    bases: &[String],
    token: &str,
    i: usize,
) -> actix_web::rt::task::JoinHandle<Answer> {
    let hour = the_hour();
    let body = json!({
        "starts_at": hour.starts_at,
        "ends_at": hour.ends_at,
        "seats": seats_of(i),
        "waitlist": i.is_multiple_of(2),
    });
    let url = format!("{}/api/v1/reservations", bases[i % bases.len()]);
    let (client, token) = (client.clone(), token.to_owned());
    actix_web::rt::spawn(async move { send(&client, "POST", url, &token, Some(body)).await })
}

#[derive(diesel::QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    counter: i64,
    #[diesel(sql_type = BigInt)]
    confirmed: i64,
    #[diesel(sql_type = BigInt)]
    smallest_waiting: i64,
    #[diesel(sql_type = BigInt)]
    waiting: i64,
}

#[actix_web::test]
async fn a_registration_rush_through_three_processes_keeps_every_first_come_promise() {
    let db = TestDb::new().await;
    let redis = TestRedis::new().await;
    let mut conn = AsyncPgConnection::establish(db.url()).await.expect("db");
    let tokens = users(&mut conn, "user", (FIRST_WAVE + SECOND_WAVE) as i64).await;
    let admin = users(&mut conn, "admin", 1).await.remove(0);
    let servers = spawn_servers(&db, &redis, 3).await;
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .connector(awc::Connector::new().limit(256))
        .finish();
    let hour = the_hour();
    let (status, body) = send(
        &client,
        "PATCH",
        format!("{}/api/v1/admin/exam-slots", bases[0]),
        &admin,
        Some(json!({"from": hour.starts_at, "to": hour.ends_at, "booking_mode": "first_come"})),
    )
    .await;
    assert_eq!((status, body), (200, json!({"updated": 1})));

    // The first wave, all at once.
    let first: Vec<_> = (0..FIRST_WAVE)
        .map(|i| ask(&client, &bases, &tokens[i], i))
        .collect();
    let mut made: Vec<(usize, i64)> = Vec::new();
    let mut places: Vec<(i64, i64)> = Vec::new();
    let mut seen: BTreeMap<(u16, String), usize> = BTreeMap::new();
    for (i, handle) in first.into_iter().enumerate() {
        let (status, body) = handle.await.expect("task");
        let label = body["status"]
            .as_str()
            .or(body["code"].as_str())
            .unwrap_or("")
            .to_owned();
        *seen.entry((status, label)).or_default() += 1;
        if status == 201 {
            made.push((i, body["id"].as_i64().expect("id")));
        }
        if body["status"] == "waitlisted" {
            let place = body["waitlist_position"].as_i64().expect("a place in line");
            places.push((body["id"].as_i64().expect("id"), place));
        }
    }
    for ((status, label), n) in &seen {
        assert!(
            matches!(
                (*status, label.as_str()),
                (201, "confirmed" | "waitlisted") | (409, "insufficient_capacity")
            ),
            "unexpected answer {status} {label} x{n}: {seen:?}"
        );
    }
    assert!(
        seen.contains_key(&(201, "waitlisted".to_owned())),
        "{seen:?}"
    );
    eprintln!("first wave: {seen:?}");
    // Nothing left the line during the first wave: the places each request was told, in the
    // order the requests joined, are 1, 2, 3, ...
    places.sort_unstable();
    let told: Vec<i64> = places.iter().map(|(_, place)| *place).collect();
    assert_eq!(told, (1..=places.len() as i64).collect::<Vec<_>>());

    // 500 cancellations (every few made reservations) and 500 new candidates, interleaved.
    let step = (made.len() / CANCELS).max(1);
    let mut second = Vec::new();
    for (n, (i, id)) in made.iter().step_by(step).take(CANCELS).enumerate() {
        let url = format!("{}/api/v1/reservations/{id}", bases[n % 3]);
        let (canceller, token) = (client.clone(), tokens[*i].clone());
        second.push(actix_web::rt::spawn(async move {
            send(&canceller, "DELETE", url, &token, None).await
        }));
        let j = FIRST_WAVE + n;
        second.push(ask(&client, &bases, &tokens[j], j));
    }
    let mut seen: BTreeMap<(u16, String), usize> = BTreeMap::new();
    for handle in second {
        let (status, body) = handle.await.expect("task");
        let label = body["status"]
            .as_str()
            .or(body["code"].as_str())
            .unwrap_or("")
            .to_owned();
        *seen.entry((status, label)).or_default() += 1;
    }
    for ((status, label), n) in &seen {
        assert!(
            matches!(
                (*status, label.as_str()),
                (201, "confirmed" | "waitlisted")
                    | (204, "")
                    // A waiting reservation promoted between its owner's read and cancel.
                    | (409, "insufficient_capacity" | "status_changed")
            ),
            "unexpected answer {status} {label} x{n}: {seen:?}"
        );
    }
    assert!(
        seen.get(&(204, String::new())).copied().unwrap_or(0) >= CANCELS * 9 / 10,
        "{seen:?}"
    );
    eprintln!("cancels and the second wave: {seen:?}");

    // The database: the counter is the sum of confirmed seats, within the cap, and nothing
    // that waits fits the seats left.
    let totals: Totals = diesel::sql_query(
        "SELECT s.confirmed::bigint AS counter, \
                (SELECT COALESCE(SUM(seats), 0)::bigint FROM reservations \
                  WHERE status = 'confirmed' AND starts_at <= s.starts_at \
                    AND ends_at > s.starts_at) AS confirmed, \
                (SELECT COALESCE(MIN(seats), 0)::bigint FROM reservations \
                  WHERE status = 'waitlisted') AS smallest_waiting, \
                (SELECT COUNT(*) FROM reservations WHERE status = 'waitlisted') AS waiting \
         FROM exam_slots s WHERE s.starts_at = $1",
    )
    .bind::<BigInt, _>(hour.secs)
    .get_result(&mut conn)
    .await
    .expect("totals");
    assert_eq!(totals.counter, totals.confirmed);
    assert!(totals.confirmed <= CAPACITY, "{}", totals.confirmed);
    assert!(totals.waiting > 0, "the rush should leave a waitlist");
    assert!(
        totals.smallest_waiting > CAPACITY - totals.confirmed,
        "a waiting reservation of {} seats fits the {} free",
        totals.smallest_waiting,
        CAPACITY - totals.confirmed
    );

    // The waiting reservations' positions, as the API shows them, are their join order.
    let mut positions = Vec::new();
    for page in 1.. {
        let url = format!(
            "{}/api/v1/admin/reservations?status=waitlisted&order=oldest&per_page=200&page={page}",
            bases[page % 3]
        );
        let (status, body) = send(&client, "GET", url, &admin, None).await;
        assert_eq!(status, 200, "{body:?}");
        let items = body["items"].as_array().expect("items");
        if items.is_empty() {
            break;
        }
        for item in items {
            positions.push((
                item["id"].as_i64().expect("id"),
                item["waitlist_position"].as_i64().expect("position"),
            ));
        }
    }
    assert_eq!(positions.len() as i64, totals.waiting);
    eprintln!(
        "confirmed {} of {CAPACITY}; {} waiting, the smallest for {} seats",
        totals.confirmed, totals.waiting, totals.smallest_waiting
    );
    let mut by_join = positions.clone();
    by_join.sort_by_key(|(id, _)| *id);
    let expected: Vec<i64> = (1..=by_join.len() as i64).collect();
    assert_eq!(
        by_join.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
        expected
    );
}
