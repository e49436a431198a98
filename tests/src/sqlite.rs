//! A fresh embedded database per test: a copy of a template file that already holds every
//! migration, in a folder of its own that is deleted when the test ends.
//!
//! The template's name carries a hash of the migration files (a changed migration gets a new
//! template). It is migrated under a temporary name and renamed into place, so parallel test
//! processes never see a half-migrated template; copying it is far faster than migrating.

use crate::migrations_hash;
use adapter_sql::SqliteStore;
use std::path::{Path, PathBuf};
use tokio::sync::OnceCell;

static TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();

fn root() -> PathBuf {
    std::env::temp_dir().join("exam-booking-tests")
}

async fn ensure_template() -> PathBuf {
    let path = root().join(format!("template-{}.sqlite3", migrations_hash("sqlite")));
    if !path.exists() {
        let building = root().join(format!("building-{}", uuid::Uuid::new_v4().simple()));
        let file = building.join("db.sqlite3");
        adapter_sql::run_sqlite_migrations(&file)
            .await
            .expect("template migrates");
        std::fs::rename(&file, &path).expect("template moved into place");
        let _ = std::fs::remove_dir_all(&building);
    }
    path
}

/// A migrated SQLite file of this test's own.
#[derive(Debug)]
pub struct TestSqlite {
    dir: PathBuf,
    path: PathBuf,
    store: SqliteStore,
}

impl TestSqlite {
    pub async fn new() -> Self {
        let template = TEMPLATE.get_or_init(ensure_template).await;
        let dir = root().join(uuid::Uuid::new_v4().simple().to_string());
        std::fs::create_dir_all(&dir).expect("test folder");
        let path = dir.join("exam-booking.sqlite3");
        std::fs::copy(template, &path).expect("template copied");
        let store = SqliteStore::open(&path).expect("store");
        TestSqlite { dir, path, store }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }
}

impl Drop for TestSqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
