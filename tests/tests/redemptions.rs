//! Per-claim redemption codes: each claim gets its own, only its claimer and admins see it, a
//! shop redeems it once, and the migration gave every claim from before its own code.

use diesel::Connection as _;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use integration_tests::app::{StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn is_redemption_code(code: &str) -> bool {
    let groups: Vec<&str> = code.split('-').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| ALPHABET.contains(c)))
}

async fn voucher(app: &TestApp, admin: &str, campaign: &str, quantity: i64) -> i64 {
    app.voucher(admin, campaign, quantity).await
}

async fn claim(app: &TestApp, token: &str, voucher: i64) -> Value {
    let r = app.claim(token, voucher).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn redeem(app: &TestApp, token: &str, code: &str) -> integration_tests::app::Reply {
    app.post(
        "/api/v1/admin/redemptions",
        Some(token),
        &json!({"code": code}),
    )
    .await
}

async fn each_claim_has_its_own_code_which_a_shop_redeems_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, admin_id) = app.admin().await;
    let id = voucher(&app, &admin, "SPRING-CAMPAIGN", 5).await;

    let listing = app.get("/api/v1/events", None).await;
    assert_eq!(listing.status, StatusCode::OK);
    assert!(
        !String::from_utf8_lossy(&listing.raw).contains("SPRING-CAMPAIGN"),
        "the campaign name is not public: {:?}",
        listing.body
    );
    assert!(listing.body["items"][0].get("code").is_none());

    let (alice, alice_id) = app.user().await;
    let (bob, _) = app.user().await;
    let alices = claim(&app, &alice, id).await;
    let bobs = claim(&app, &bob, id).await;
    let alice_code = alices["code"].as_str().expect("code").to_owned();
    let bob_code = bobs["code"].as_str().expect("code").to_owned();
    assert!(is_redemption_code(&alice_code), "{alice_code}");
    assert!(is_redemption_code(&bob_code), "{bob_code}");
    assert_ne!(alice_code, bob_code);

    // Only the claimer sees their code.
    let mine = app.get("/api/v1/users/me/vouchers", Some(&alice)).await;
    assert_eq!(mine.body["items"][0]["code"], alice_code.as_str());
    let bobs_list = app.get("/api/v1/users/me/vouchers", Some(&bob)).await;
    assert!(!String::from_utf8_lossy(&bobs_list.raw).contains(&alice_code));

    // Redeeming is for admins, once, however the code is typed.
    assert_eq!(
        redeem(&app, &bob, &alice_code).await.status,
        StatusCode::FORBIDDEN
    );
    let typed = alice_code.replace('-', " ").to_lowercase();
    let r = redeem(&app, &admin, &typed).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["id"], alices["id"]);
    assert_eq!(r.body["user_id"], alice_id);
    assert!(r.body["used_at"].is_string());
    let again = redeem(&app, &admin, &alice_code).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "already_used");
    let mine = app.get("/api/v1/users/me/vouchers", Some(&alice)).await;
    assert!(
        mine.body["items"][0]["used_at"].is_string(),
        "the claimer sees it used"
    );

    let unknown = if bob_code.starts_with('0') {
        "1111-1111-1111-1111"
    } else {
        "0000-0000-0000-0000"
    };
    let r = redeem(&app, &admin, unknown).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = redeem(&app, &admin, "SPRING-CAMPAIGN").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "invalid_redemption_code");
    let r = redeem(&app, &admin, &"A".repeat(100_000)).await;
    assert!(r.status.is_client_error(), "{}", r.status);

    // The shop's redemption is in the audit trail, by whom and on which claim.
    let claim_id = alices["id"].as_i64().expect("id");
    let r = app
        .get(
            &format!("/api/v1/admin/audit?action=claim.redeemed&target_id={claim_id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["actor_id"], admin_id);
    assert_eq!(r.body["items"][0]["target_kind"], "claim");
    assert!(r.body["items"][0]["changes"]["used_at"]["before"].is_null());
}

/// The folders of the migrations before redemption codes existed.
const BEFORE_CODES: [&str; 4] = [
    "2026-11-23-000001_exam_booking",
    "2026-11-23-000002_voucher_drop",
    "2026-11-28-000003_session_state",
    "2026-11-28-000004_calendar_bounds",
];

/// The schema as it was, the way the migration tool records it, plus claims made then.
fn schema_before_codes(dialect: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(dialect);
    let mut sql = String::from(
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
         run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);\n",
    );
    for folder in BEFORE_CODES {
        sql += &std::fs::read_to_string(root.join(folder).join("up.sql")).expect("migration");
        let version: String = folder.split('_').next().expect("version").replace('-', "");
        sql +=
            &format!("\nINSERT INTO __diesel_schema_migrations (version) VALUES ('{version}');\n");
    }
    sql += "INSERT INTO books (title, created_at) VALUES ('Dune', 0);\n\
            INSERT INTO vouchers (book_id, code, quantity, remaining, created_at) \
              VALUES (1, 'OLD-CAMPAIGN', 50, 10, 0);\n";
    for user in 1..=40 {
        sql += &format!(
            "INSERT INTO users (username, username_key, password_hash, role, created_at) \
               VALUES ('u{user}', 'u{user}', 'h', 'user', 0);\n\
             INSERT INTO voucher_claims (user_id, voucher_id, claimed_at) VALUES ({user}, 1, 0);\n"
        );
    }
    sql
}

fn assert_fresh_codes(codes: Vec<String>) {
    assert_eq!(codes.len(), 40, "every claim kept");
    let distinct: HashSet<&String> = codes.iter().collect();
    assert_eq!(
        distinct.len(),
        40,
        "every claim has a code of its own: {codes:?}"
    );
    for code in &codes {
        assert!(is_redemption_code(code), "{code}");
    }
}

#[derive(diesel::QueryableByName)]
struct Code {
    #[diesel(sql_type = diesel::sql_types::Text)]
    redemption_code: String,
}

const CODES: &str = "SELECT redemption_code FROM voucher_claims ORDER BY id";

#[actix_web::test]
async fn server_the_migration_gives_every_existing_claim_a_fresh_code() {
    use diesel_async::RunQueryDsl;
    let name = format!("codes_migration_{}", uuid::Uuid::new_v4().simple());
    let admin_url = integration_tests::db::admin_url();
    let mut admin = AsyncPgConnection::establish(&admin_url)
        .await
        .expect("admin");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("created");
    let url = format!("{}/{name}", admin_url.rsplit_once('/').expect("url").0);
    {
        let mut conn = AsyncPgConnection::establish(&url).await.expect("connect");
        conn.batch_execute(&schema_before_codes("postgres"))
            .await
            .expect("old schema");
    }
    adapter_sql::run_pg_migrations(&url)
        .await
        .expect("migrates");
    let codes: Vec<Code> = {
        let mut conn = AsyncPgConnection::establish(&url).await.expect("connect");
        diesel::sql_query(CODES)
            .load(&mut conn)
            .await
            .expect("codes")
    };
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("dropped");
    assert_fresh_codes(codes.into_iter().map(|c| c.redemption_code).collect());
}

#[actix_web::test]
async fn embedded_the_migration_gives_every_existing_claim_a_fresh_code() {
    use diesel::connection::SimpleConnection as _;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("codes-migration-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("store.sqlite3");
    {
        let mut conn = diesel::SqliteConnection::establish(&file.to_string_lossy()).expect("open");
        conn.batch_execute(&schema_before_codes("sqlite"))
            .expect("old schema");
    }
    adapter_sql::run_sqlite_migrations(&file)
        .await
        .expect("migrates");
    let codes: Vec<Code> = {
        let mut conn = diesel::SqliteConnection::establish(&file.to_string_lossy()).expect("open");
        diesel::RunQueryDsl::load(diesel::sql_query(CODES), &mut conn).expect("codes")
    };
    std::fs::remove_dir_all(&dir).expect("cleaned up");
    assert_fresh_codes(codes.into_iter().map(|c| c.redemption_code).collect());
}

on_both_backends!(each_claim_has_its_own_code_which_a_shop_redeems_once,);
