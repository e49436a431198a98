//! `TestApp`: the real api-server, started in-process on a free port against its own database
//! (and, on the server backend, its own Redis key prefix), with typed request helpers.

use crate::db::TestDb;
use crate::redis::TestRedis;
use crate::store::TestStore;
use crate::Backend;
use actix_web::dev::ServerHandle;
use app::Services;
use serde_json::Value;
use settings::Settings;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use awc::http::StatusCode;

/// The repository's `config/` directory.
pub fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
}

/// A response: status, headers of interest, and the JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub retry_after: Option<String>,
    pub body: Value,
    pub raw: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// A response header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The problem document's `code`, or "" when the body is not a problem.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub struct TestApp {
    pub base: String,
    pub services: Services,
    pub settings: Settings,
    handle: ServerHandle,
    client: awc::Client,
    names: AtomicU64,
    pub backend: Backend,
    // Dropped last: the server must stop before its database goes. Shared with the other
    // instances started by `another_instance`.
    redis: Option<Arc<TestRedis>>,
    pub store: Arc<TestStore>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Settings as the server would load them, pointed at this test's database and, when given,
/// its Redis key prefix (without one, the server keeps its lock in-process).
pub fn test_settings(
    store: &TestStore,
    redis: Option<&TestRedis>,
    extra: &[(&str, &str)],
) -> Settings {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("APP_PROFILE".into(), "test".into());
    match store {
        TestStore::Postgres(db) => {
            env.insert("DATABASE_URL".into(), db.url().to_owned());
            env.insert("APP__DATABASE__POOL_SIZE".into(), "8".into());
        }
        TestStore::Sqlite(file) => {
            let path = file.path().to_string_lossy().into_owned();
            env.insert("APP__DATABASE__PATH".into(), path);
        }
    }
    if let Some(redis) = redis {
        env.insert("REDIS_URL".into(), redis.url().to_owned());
        env.insert("APP__REDIS__KEY_PREFIX".into(), redis.prefix().to_owned());
    }
    env.insert("APP__SERVER__WORKERS".into(), "1".into());
    env.insert("HOST".into(), "127.0.0.1".into());
    env.insert("PORT".into(), "0".into());
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    Settings::load_from(&config_dir(), &env).expect("test settings load")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, &[]).await
    }

    /// Starts a server with extra configuration, e.g. `("APP__BOOKING__SLOT_CAPACITY", "100")`.
    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> Self {
        let store = TestStore::new(backend).await;
        let redis = match backend {
            Backend::Server => Some(TestRedis::new().await),
            Backend::Embedded => None,
        };
        let settings = test_settings(&store, redis.as_ref(), extra);
        Self::serve(backend, settings, Arc::new(store), redis.map(Arc::new)).await
    }

    /// A second api-server process, as it were: its own server, caches and pools, on the same
    /// database and Redis prefix as this one.
    pub async fn another_instance(&self) -> Self {
        Self::serve(
            self.backend,
            self.settings.clone(),
            self.store.clone(),
            self.redis.clone(),
        )
        .await
    }

    /// Another server on this one's database and Redis prefix, with other settings (another
    /// database role, for example).
    pub async fn another_instance_with(&self, settings: Settings) -> Self {
        Self::serve(
            self.backend,
            settings,
            self.store.clone(),
            self.redis.clone(),
        )
        .await
    }

    async fn serve(
        backend: Backend,
        settings: Settings,
        store: Arc<TestStore>,
        redis: Option<Arc<TestRedis>>,
    ) -> Self {
        let built = api_server::build(&settings).await.expect("server builds");
        let services = built.services.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        let running = api_server::start(built, &settings, listener).expect("server starts");
        let handle = running.server.handle();
        actix_web::rt::spawn(running.server);
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish();
        TestApp {
            base: format!("http://{}", running.addr),
            services,
            settings,
            handle,
            client,
            names: AtomicU64::new(0),
            backend,
            redis,
            store,
        }
    }

    /// This server's PostgreSQL database (server backend only).
    pub fn pg(&self) -> &TestDb {
        match self.store.as_ref() {
            TestStore::Postgres(db) => db,
            TestStore::Sqlite(_) => panic!("this test runs on the server backend only"),
        }
    }

    /// This server's Redis key prefix (server backend only).
    pub fn redis(&self) -> &TestRedis {
        self.redis
            .as_ref()
            .expect("this test runs on the server backend only")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request; `body` is sent verbatim as JSON text when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let content_type = body.map(|_| "application/json");
        let body = body.map(|b| b.as_bytes().to_vec());
        self.send(method, path, token, content_type, body, &[])
            .await
    }

    /// Sends a request exactly as given: any content type (or none), any bytes, extra headers.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        // Appended, not inserted: a test may send a header twice.
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        let sent = match body {
            Some(b) => req.send_body(b).await,
            None => req.send().await,
        };
        let mut res = sent.expect("request sent");
        let headers = res
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let status = res.status();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let retry_after = header("retry-after");
        let raw = res.body().limit(8 << 20).await.expect("body").to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            retry_after,
            body,
            raw,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call("POST", path, token, Some(&body.to_string()))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call("PATCH", path, token, Some(&body.to_string()))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("DELETE", path, token, None).await
    }

    /// A fresh unique username.
    pub fn name(&self, stem: &str) -> String {
        format!("{stem}{}", self.names.fetch_add(1, Ordering::Relaxed))
    }

    /// Signs a new user up over HTTP and logs them in: (token, user id).
    pub async fn user(&self) -> (String, i64) {
        let username = self.name("user");
        let body = serde_json::json!({"username": username, "password": "password123"});
        let r = self.post("/api/v1/auth/signup", None, &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let id = r.body["id"].as_i64().expect("id");
        (self.login(&username, "password123").await, id)
    }

    /// Creates an admin the way operators do (the create-admin use case) and logs in.
    pub async fn admin(&self) -> (String, i64) {
        let username = self.name("admin");
        let user = self
            .services
            .auth
            .create_admin(&username, "adminpass123")
            .await
            .expect("admin created");
        (self.login(&username, "adminpass123").await, user.id.0)
    }

    /// `n` users created through the repository port with a placeholder hash, and tokens minted
    /// for them with the test profile's secret: contention tests need many users, and argon2
    /// for each sign-up would only measure hashing.
    pub async fn minted_users(&self, n: usize) -> Vec<String> {
        use ports::Tokens;
        let tokens = http_api::security::JwtTokens::new(
            settings::DEVELOPMENT_JWT_SECRET.as_bytes(),
            time::Duration::hours(1),
        );
        let now = time::OffsetDateTime::now_utc();
        let mut minted = Vec::with_capacity(n);
        for _ in 0..n {
            let user = self
                .store
                .users()
                .create(
                    ports::NewUser {
                        username: domain::Username::parse(&self.name("minted")).expect("name"),
                        password_hash: "not-a-hash".into(),
                        role: domain::Role::User,
                        created_at: now,
                    },
                    None,
                )
                .await
                .expect("user created");
            minted.push(tokens.issue(&user, now).expect("token").token);
        }
        minted
    }

    /// `POST /api/v1/reservations` for `seats` seats from `starts_at` to `ends_at` (RFC 3339).
    pub async fn reserve(&self, token: &str, starts_at: &str, ends_at: &str, seats: i64) -> Reply {
        let body = serde_json::json!({"starts_at": starts_at, "ends_at": ends_at, "seats": seats});
        self.post("/api/v1/reservations", Some(token), &body).await
    }

    /// A reservation that must be created (201): its id.
    pub async fn reserved(&self, token: &str, starts_at: &str, ends_at: &str, seats: i64) -> i64 {
        let r = self.reserve(token, starts_at, ends_at, seats).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_i64().expect("id")
    }

    /// `POST /api/v1/admin/reservations/{id}/confirm`.
    pub async fn confirm(&self, admin: &str, id: i64) -> Reply {
        let path = format!("/api/v1/admin/reservations/{id}/confirm");
        self.call("POST", &path, Some(admin), None).await
    }

    /// A book the admin adds (201): its id.
    pub async fn book(&self, admin: &str, title: &str) -> i64 {
        let r = self
            .post(
                "/api/v1/admin/books",
                Some(admin),
                &serde_json::json!({"title": title}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_i64().expect("book id")
    }

    /// A voucher of a new book, "Dune" (both 201), with `extra` fields (e.g. `opens_at`): its id.
    pub async fn voucher_with(&self, admin: &str, code: &str, quantity: i64, extra: Value) -> i64 {
        let book = self.book(admin, "Dune").await;
        let mut body = serde_json::json!({"book_id": book, "code": code, "quantity": quantity});
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        let r = self
            .post("/api/v1/admin/vouchers", Some(admin), &body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_i64().expect("voucher id")
    }

    /// A voucher of a new book, open now (both 201): its id.
    pub async fn voucher(&self, admin: &str, code: &str, quantity: i64) -> i64 {
        self.voucher_with(admin, code, quantity, Value::Null).await
    }

    /// `POST /api/v1/events/{voucher}/claim`.
    pub async fn claim(&self, token: &str, voucher: i64) -> Reply {
        let path = format!("/api/v1/events/{voucher}/claim");
        self.call("POST", &path, Some(token), None).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let r = self.post("/api/v1/auth/login", None, &body).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body["access_token"].as_str().expect("token").to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and close connections so the database can be dropped.
        let stop = self.handle.stop(false);
        actix_web::rt::spawn(stop);
    }
}

/// The start of the hourly slot `days` days and `hour` hours from now's next midnight (UTC),
/// in RFC 3339: safely inside the default booking window for 4 <= days <= 85.
pub fn slot(days: i64, hour: i64) -> String {
    let midnight = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT)
        + time::Duration::days(days)
        + time::Duration::hours(hour);
    midnight
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// `YYYY-MM-DD` of the day `days` from today (UTC).
pub fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}
