//! Shared by the process-level tests: start real api-server processes on free ports, against
//! one test database and Redis prefix or on the embedded database.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{Role, User, UserId, Username};
use integration_tests::db::TestDb;
use integration_tests::redis::TestRedis;
use ports::Tokens;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_api-server");

pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the process to exit on its own.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub fn command(db: &TestDb, redis: &TestRedis) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env("APP_PROFILE", "test")
        .env("DATABASE_URL", db.url())
        .env("REDIS_URL", redis.url())
        .env("APP__REDIS__KEY_PREFIX", redis.prefix())
        .env("APP__SERVER__WORKERS", "2")
        .env("APP__DATABASE__POOL_SIZE", "8")
        .env("RUST_LOG", "warn");
    cmd
}

/// A server on the embedded default: no DATABASE_URL or REDIS_URL, the database in `file`.
pub fn embedded_command(file: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("APP_PROFILE", "test")
        .env("APP__DATABASE__PATH", file)
        .env("APP__SERVER__WORKERS", "2")
        .env("RUST_LOG", "warn");
    cmd
}

/// Runs `create-admin` in `cmd`'s environment; the password goes through standard input.
pub fn create_admin(mut cmd: Command, username: &str, password: &str) {
    use std::io::Write;
    let mut child = cmd
        .args(["create-admin", "--username", username])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("create-admin runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password written");
    let out = child.wait_with_output().expect("create-admin ends");
    assert!(out.status.success(), "create-admin failed");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("created admin '{username}'")),
        "{said}"
    );
}

pub async fn spawn_servers(db: &TestDb, redis: &TestRedis, n: usize) -> Vec<Server> {
    start_all((0..n).map(|_| command(db, redis))).await
}

/// Starts each command as a server on a free port and waits until all answer `/health`.
pub async fn start_all(commands: impl IntoIterator<Item = Command>) -> Vec<Server> {
    let quiet = commands.into_iter().map(|mut cmd| {
        cmd.stdout(Stdio::null());
        cmd
    });
    start_as_given(quiet).await
}

/// As [`start_all`], keeping whatever standard output each command was given.
pub async fn start_as_given(commands: impl IntoIterator<Item = Command>) -> Vec<Server> {
    let client = awc::Client::default();
    let mut servers = Vec::new();
    for mut cmd in commands {
        let port = free_port();
        let child = cmd
            .env("PORT", port.to_string())
            .spawn()
            .expect("api-server starts");
        servers.push(Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        });
    }
    for s in &servers {
        let mut ready = false;
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{}/health", s.base)).send().await {
                if r.status().is_success() {
                    ready = true;
                    break;
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "{} did not come up", s.base);
    }
    servers
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Inserts `n` users of `role` straight into the database (argon2 for thousands of sign-ups
/// would only measure hashing) and mints their tokens with the test profile's secret, in the
/// order of their ids.
pub async fn users(conn: &mut AsyncPgConnection, role: &str, n: i64) -> Vec<String> {
    let ids: Vec<Id> = diesel::sql_query(
        "INSERT INTO users (username, username_key, password_hash, role, created_at) \
         SELECT $1 || g, $1 || g, 'not-a-hash', $1, 0 FROM generate_series(1, $2) g RETURNING id",
    )
    .bind::<Text, _>(role)
    .bind::<BigInt, _>(n)
    .load(conn)
    .await
    .expect("users inserted");
    let tokens = http_api::security::JwtTokens::new(
        settings::DEVELOPMENT_JWT_SECRET.as_bytes(),
        time::Duration::hours(1),
    );
    let now = time::OffsetDateTime::now_utc();
    ids.into_iter()
        .map(|Id { id }| {
            let user = User {
                id: UserId(id),
                username: Username::parse("placeholder").expect("name"),
                role: if role == "admin" {
                    Role::Admin
                } else {
                    Role::User
                },
                created_at: now,
                session_version: 0,
            };
            tokens.issue(&user, now).expect("token").token
        })
        .collect()
}
