//! A fresh PostgreSQL database per test, cloned from a template that already holds every
//! migration, and dropped when the test ends.
//!
//! The template's name carries a hash of the migration files, so a changed migration gets a
//! new template, and it is built under an advisory lock so parallel test processes build it
//! once. Cloning a template is a file copy: far faster than migrating each test database.

use crate::migrations_hash;
use adapter_sql::PgStore;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::sync::OnceCell;

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
const TEMPLATE_LOCK: i64 = 0x7465_7374_5f74_706c;

/// Where to connect for CREATE/DROP DATABASE.
pub fn admin_url() -> String {
    std::env::var("DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn url_of(db: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{db}")
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    datname: String,
}

async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&admin_url())
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}", admin_url()))
}

async fn exec(conn: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn ensure_template() -> String {
    let name = format!("exam_booking_tpl_{}", migrations_hash("postgres"));
    let mut conn = admin().await;
    exec(
        &mut conn,
        &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"),
    )
    .await;
    let exists: Vec<Name> = diesel::sql_query("SELECT datname FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(&name)
        .load(&mut conn)
        .await
        .expect("pg_database readable");
    if exists.is_empty() {
        // Build under a temporary name and rename when complete, so a crash never leaves a
        // half-migrated template behind.
        let building = format!("{name}_building");
        exec(
            &mut conn,
            &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        )
        .await;
        exec(&mut conn, &format!("CREATE DATABASE {building}")).await;
        adapter_sql::run_pg_migrations(&url_of(&building))
            .await
            .expect("template migrates");
        exec(
            &mut conn,
            &format!("ALTER DATABASE {building} RENAME TO {name}"),
        )
        .await;
    }
    exec(
        &mut conn,
        &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"),
    )
    .await;
    name
}

/// A migrated database of this test's own.
pub struct TestDb {
    name: String,
    url: String,
    store: PgStore,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl TestDb {
    pub async fn new() -> Self {
        let template = TEMPLATE.get_or_init(ensure_template).await;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        exec(
            &mut conn,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await;
        let url = url_of(&name);
        let store = PgStore::connect(&url, 16).expect("pool");
        TestDb { name, url, store }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The repository adapters on this database.
    pub fn store(&self) -> &PgStore {
        &self.store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async; give the cleanup a thread and runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let mut conn = admin().await;
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            });
        });
        let _ = cleanup.join();
    }
}
