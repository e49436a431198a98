//! The slot-generator binary against a real database.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use integration_tests::db::TestDb;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_slot-generator");

fn run(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env("APP_PROFILE", "test")
        .env("DATABASE_URL", url)
        .args(args)
        .output()
        .expect("slot-generator runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// N from the summary line "TIME DATABASE: created N slots, ..." (or "would create N").
fn created(o: &Output) -> i64 {
    let line = stdout(o);
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == "created" || *w == "create")
        .and_then(|at| words.get(at + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("summary line: {line}"))
}

#[derive(diesel::QueryableByName)]
struct Counts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    distinct_starts: i64,
}

async fn counts(url: &str) -> (i64, i64) {
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    let c: Counts = diesel::sql_query(
        "SELECT COUNT(*) AS total, COUNT(DISTINCT starts_at) AS distinct_starts FROM exam_slots",
    )
    .get_result(&mut conn)
    .await
    .expect("count");
    (c.total, c.distinct_starts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_creates_ninety_days_of_hourly_slots_and_a_second_creates_none() {
    let db = TestDb::new().await;
    let first = run(db.url(), &[]);
    assert!(first.status.success(), "{first:?}");
    let line = stdout(&first);
    let created = created(&first);
    assert!((24 * 90 - 1..=24 * 90 + 1).contains(&created), "{line}");
    assert!(line.contains("0 already present"), "{line}");
    assert_eq!(counts(db.url()).await.0, created);

    let second = run(db.url(), &[]);
    assert!(second.status.success());
    assert!(
        stdout(&second).contains(": created 0 slots"),
        "{}",
        stdout(&second)
    );
    assert_eq!(counts(db.url()).await.0, created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_runs_create_each_slot_exactly_once() {
    let db = TestDb::new().await;
    let spawn = || {
        Command::new(BIN)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .env("APP_PROFILE", "test")
            .env("DATABASE_URL", db.url())
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().expect("a"), b.join().expect("b"))
    });
    let (a, b) = (a.expect("a runs"), b.expect("b runs"));
    assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
    let (total, distinct) = counts(db.url()).await;
    assert_eq!(total, distinct, "no duplicates");
    assert!((24 * 90 - 1..=24 * 90 + 1).contains(&total));
    assert_eq!(
        created(&a) + created(&b),
        total,
        "each slot created by exactly one run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_set_the_horizon_and_dry_run_writes_nothing() {
    let db = TestDb::new().await;
    let dry = run(db.url(), &["--horizon-days", "2", "--dry-run"]);
    assert!(dry.status.success(), "{dry:?}");
    assert!(
        stdout(&dry).contains(": would create 4"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(counts(db.url()).await.0, 0);
    let real = run(db.url(), &["--horizon-days", "2", "--capacity", "10"]);
    assert!(real.status.success());
    assert!(stdout(&real).contains("capacity 10"));
    let (total, _) = counts(db.url()).await;
    assert!((47..=49).contains(&total), "{total}");
    // The dry run after a real one finds everything present.
    let dry = run(db.url(), &["--horizon-days", "2", "--dry-run"]);
    assert!(
        stdout(&dry).contains(": would create 0"),
        "{}",
        stdout(&dry)
    );
}

#[test]
fn unreachable_database_and_bad_flags_fail_with_a_message() {
    let down = run("postgres://postgres@127.0.0.1:1/nowhere", &[]);
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains("slot-generator:"));
    let bad = run(
        "postgres://postgres@127.0.0.1:1/nowhere",
        &["--capacity", "zero"],
    );
    assert_eq!(bad.status.code(), Some(2));
    let help = run("postgres://unused", &["--help"]);
    assert!(help.status.success());
    assert!(stdout(&help).contains("--dry-run") && stdout(&help).contains("CRON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_database_url_it_fills_the_embedded_file_the_server_reads() {
    let file = integration_tests::sqlite::TestSqlite::new().await;
    let embedded = || {
        Command::new(BIN)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .env("APP_PROFILE", "test")
            .env_remove("DATABASE_URL")
            .env("APP__DATABASE__PATH", file.path())
            .args(["--horizon-days", "2"])
            .output()
            .expect("slot-generator runs")
    };
    let first = embedded();
    assert!(first.status.success(), "{first:?}");
    let created = created(&first);
    assert!((47..=49).contains(&created), "{first:?}");
    let second = embedded();
    assert!(stdout(&second).contains(": created 0 slots"), "{second:?}");
    let from = time::OffsetDateTime::now_utc();
    let slots = ports::SlotRepository::list_between(
        file.store(),
        from - time::Duration::hours(1),
        from + time::Duration::days(3),
    )
    .await
    .expect("slots");
    assert_eq!(
        slots.len() as i64,
        created,
        "the server's store sees what the generator wrote"
    );
}

#[test]
fn from_an_empty_folder_it_refuses_to_invent_a_database_unless_asked() {
    let folder = std::env::temp_dir().join(format!("slotgen-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&folder).expect("folder");
    let in_folder = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(&folder)
            .env_remove("DATABASE_URL")
            .env_remove("APP__DATABASE__PATH")
            .env_remove("APP_CONFIG_DIR")
            .env("APP_PROFILE", "test")
            .args(args)
            .output()
            .expect("slot-generator runs")
    };
    // No config folder here: the built-in defaults apply. No database file: refused.
    let refused = in_folder(&["--horizon-days", "1"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--create"));
    assert!(!folder.join("data/exam-booking.sqlite3").exists());

    let made = in_folder(&["--horizon-days", "1", "--create"]);
    assert!(made.status.success(), "{made:?}");
    let line = stdout(&made);
    let file = folder.join("data/exam-booking.sqlite3");
    assert!(file.exists());
    // The summary names the database it wrote to and when.
    assert!(
        line.contains("sqlite ") && line.contains("exam-booking.sqlite3"),
        "{line}"
    );
    let stamp = line.split_whitespace().next().unwrap_or_default();
    assert!(
        time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).is_ok(),
        "{line}"
    );
    let again = in_folder(&["--horizon-days", "1"]);
    assert!(
        again.status.success(),
        "an existing file needs no --create: {again:?}"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

/// A confirmed reservation of 4 seats over the 2nd and 3rd slots, with the counters moved as
/// a confirm moves them: consistent.
const CONSISTENT: [&str; 3] = [
    "INSERT INTO users (username, username_key, password_hash, role, created_at) \
     VALUES ('checker', 'checker', 'x', 'user', 0)",
    "INSERT INTO reservations (user_id, starts_at, ends_at, seats, status, created_at, updated_at) \
     SELECT (SELECT MIN(id) FROM users), MIN(starts_at) + 3600, MIN(starts_at) + 10800, 4, \
            'confirmed', 0, 0 FROM exam_slots",
    "UPDATE exam_slots SET confirmed = confirmed + 4 WHERE starts_at IN \
     (SELECT MIN(starts_at) + 3600 FROM exam_slots UNION SELECT MIN(starts_at) + 7200 FROM exam_slots)",
];

/// Corrupts one slot counter and one voucher count behind the service's back.
const CORRUPT: [&str; 3] = [
    "UPDATE exam_slots SET confirmed = 7 WHERE starts_at = (SELECT MIN(starts_at) FROM exam_slots)",
    "INSERT INTO books (title, created_at) VALUES ('Dune', 0)",
    "INSERT INTO vouchers (book_id, code, quantity, remaining, created_at) \
     VALUES ((SELECT MIN(id) FROM books), 'DUNE-1', 5, 3, 0)",
];

fn assert_check_catches_the_corruption(clean: &Output, found: &Output) {
    assert!(clean.status.success(), "{clean:?}");
    assert!(
        stdout(clean).contains("check found 0 differences"),
        "{clean:?}"
    );
    assert_eq!(found.status.code(), Some(1), "{found:?}");
    let report = stdout(found);
    assert!(
        report.contains("confirmed is 7, its confirmed reservations add up to 0 [none]"),
        "{report}"
    );
    assert!(
        report.contains("remaining is 3, quantity minus claims is 5"),
        "{report}"
    );
    assert!(report.contains("check found 2 differences"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_counters_that_disagree_with_their_ledgers() {
    let db = TestDb::new().await;
    assert!(run(db.url(), &["--horizon-days", "2"]).status.success());
    let mut conn = AsyncPgConnection::establish(db.url())
        .await
        .expect("connect");
    for statement in CONSISTENT {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .expect("consistent change");
    }
    let clean = run(db.url(), &["check"]);
    for statement in CORRUPT {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .expect("corrupted");
    }
    let found = run(db.url(), &["check"]);
    assert_check_catches_the_corruption(&clean, &found);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_works_on_the_embedded_file_too() {
    let file = integration_tests::sqlite::TestSqlite::new().await;
    let embedded = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .env("APP_PROFILE", "test")
            .env_remove("DATABASE_URL")
            .env("APP__DATABASE__PATH", file.path())
            .args(args)
            .output()
            .expect("slot-generator runs")
    };
    assert!(embedded(&["--horizon-days", "2"]).status.success());
    let sql = |statements: &[&str]| {
        use diesel::Connection;
        let mut conn =
            diesel::SqliteConnection::establish(&file.path().to_string_lossy()).expect("open");
        for statement in statements {
            diesel::RunQueryDsl::execute(diesel::sql_query(*statement), &mut conn)
                .expect("statement runs");
        }
    };
    sql(&CONSISTENT);
    let clean = embedded(&["check"]);
    sql(&CORRUPT);
    let found = embedded(&["check"]);
    assert_check_catches_the_corruption(&clean, &found);
}

#[derive(diesel::QueryableByName)]
struct Status {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_expires_what_still_waits_for_hours_whose_booking_window_has_closed() {
    let db = TestDb::new().await;
    let mut conn = AsyncPgConnection::establish(db.url())
        .await
        .expect("connect");
    // Two waiting reservations: one starting tomorrow (inside the 3 closed days), one in ten.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (soon, later) = (now + 86_400 - now % 3600, now + 10 * 86_400 - now % 3600);
    diesel::sql_query(
        "WITH u AS (INSERT INTO users (username, username_key, password_hash, role, created_at) \
                    VALUES ('waiting', 'waiting', 'x', 'user', 0) RETURNING id) \
         INSERT INTO reservations (user_id, starts_at, ends_at, seats, status, booking_mode, \
                                   created_at, updated_at) \
         SELECT u.id, s, s + 3600, 2, 'waitlisted', 'first_come', 0, 0 \
         FROM u, unnest(ARRAY[$1, $2]) s",
    )
    .bind::<diesel::sql_types::BigInt, _>(soon)
    .bind::<diesel::sql_types::BigInt, _>(later)
    .execute(&mut conn)
    .await
    .expect("inserted");

    let dry = run(db.url(), &["--dry-run"]);
    assert!(!stdout(&dry).contains("expired"), "{}", stdout(&dry));
    let out = run(db.url(), &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("expired 1 waiting reservations"),
        "{}",
        stdout(&out)
    );
    let statuses: Vec<Status> =
        diesel::sql_query("SELECT status FROM reservations ORDER BY starts_at")
            .load(&mut conn)
            .await
            .expect("statuses");
    let statuses: Vec<&str> = statuses.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(statuses, ["expired", "waitlisted"]);
}
