//! The drop under a rush: 3,000 users (500 of them twice) claim a voucher of 200 through two
//! api-server processes, while the admission gate's keys are wiped mid-drop.

use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use integration_tests::db::TestDb;
use integration_tests::redis::TestRedis;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

mod common;
use common::{spawn_servers, users};

const USERS: i64 = 3_000;
const TWICE: usize = 500;
const QUANTITY: i64 = 200;

#[derive(diesel::QueryableByName)]
struct Outcome {
    #[diesel(sql_type = BigInt)]
    claims: i64,
    #[diesel(sql_type = BigInt)]
    users: i64,
    #[diesel(sql_type = BigInt)]
    remaining: i64,
}

#[actix_web::test]
async fn a_rush_through_two_processes_issues_exactly_the_quantity() {
    let db = TestDb::new().await;
    let redis = TestRedis::new().await;
    let mut conn = AsyncPgConnection::establish(db.url()).await.expect("db");
    let tokens = users(&mut conn, "user", USERS).await;
    let admin = users(&mut conn, "admin", 1).await.remove(0);
    let servers = spawn_servers(&db, &redis, 2).await;
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .connector(awc::Connector::new().limit(256))
        .finish();

    let base = &servers[0].base;
    let mut r = client
        .post(format!("{base}/api/v1/admin/books"))
        .insert_header(("Authorization", format!("Bearer {admin}")))
        .send_json(&json!({"title": "The Dispossessed"}))
        .await
        .expect("book");
    let book: serde_json::Value = r.json().await.expect("json");
    let mut r = client
        .post(format!("{base}/api/v1/admin/vouchers"))
        .insert_header(("Authorization", format!("Bearer {admin}")))
        .send_json(&json!({"book_id": book["id"], "code": "RUSH-200", "quantity": QUANTITY}))
        .await
        .expect("voucher");
    let voucher: serde_json::Value = r.json().await.expect("json");
    let voucher_id = voucher["id"].as_i64().expect("id");

    // Every user once, then 500 of them again, interleaved, spread over both processes.
    let mut attempts: Vec<&String> = tokens.iter().collect();
    attempts.extend(tokens.iter().step_by(tokens.len() / TWICE).take(TWICE));
    attempts.rotate_left(1_000);
    let mut handles = Vec::new();
    for (i, token) in attempts.into_iter().enumerate() {
        let url = format!("{}/api/v1/events/{voucher_id}/claim", servers[i % 2].base);
        let (client, token) = (client.clone(), token.clone());
        handles.push(actix_web::rt::spawn(async move {
            match client
                .post(url)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .send()
                .await
            {
                Ok(mut res) => {
                    let status = res.status().as_u16();
                    let body: serde_json::Value = res.json().await.unwrap_or_default();
                    // A claim's `code` is its redemption code; a problem's is the error code.
                    let code = if status == 201 {
                        ""
                    } else {
                        body["code"].as_str().unwrap_or("")
                    };
                    (status, code.to_owned())
                }
                Err(e) => (0, e.to_string()),
            }
        }));
    }
    // Mid-drop, the gate loses its keys (as after a Redis restart): nothing may double-issue.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let gate = deadpool_redis::redis::Client::open(redis.url()).expect("redis");
    let mut gate = gate
        .get_multiplexed_async_connection()
        .await
        .expect("redis conn");
    let keys: Vec<String> = deadpool_redis::redis::cmd("KEYS")
        .arg(format!("{}voucher:*", redis.prefix()))
        .query_async(&mut gate)
        .await
        .expect("keys");
    if !keys.is_empty() {
        let _: i64 = deadpool_redis::redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut gate)
            .await
            .expect("del");
    }

    let mut seen: BTreeMap<(u16, String), usize> = BTreeMap::new();
    for h in handles {
        *seen.entry(h.await.expect("task")).or_default() += 1;
    }
    let created = seen.get(&(201, String::new())).copied().unwrap_or(0);
    assert_eq!(created, QUANTITY as usize, "{seen:?}");
    for ((status, code), n) in &seen {
        assert!(
            *status == 201 || (*status == 409 && (code == "sold_out" || code == "already_claimed")),
            "unexpected answer {status} {code} x{n}: {seen:?}"
        );
    }
    let outcome: Outcome = diesel::sql_query(
        "SELECT (SELECT COUNT(*) FROM voucher_claims WHERE voucher_id = $1) AS claims, \
                (SELECT COUNT(DISTINCT user_id) FROM voucher_claims WHERE voucher_id = $1) AS users, \
                (SELECT remaining::bigint FROM vouchers WHERE id = $1) AS remaining",
    )
    .bind::<BigInt, _>(voucher_id)
    .get_result(&mut conn)
    .await
    .expect("outcome");
    assert_eq!(
        (outcome.claims, outcome.users, outcome.remaining),
        (QUANTITY, QUANTITY, 0)
    );
}
