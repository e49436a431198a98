//! One test's database on either backend, seen through the repository ports.

use crate::db::TestDb;
use crate::sqlite::TestSqlite;
use crate::Backend;

#[derive(Debug)]
pub enum TestStore {
    Postgres(TestDb),
    Sqlite(TestSqlite),
}

impl TestStore {
    /// A fresh migrated database for `backend`: PostgreSQL for `Server`, SQLite for `Embedded`.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Server => TestStore::Postgres(TestDb::new().await),
            Backend::Embedded => TestStore::Sqlite(TestSqlite::new().await),
        }
    }

    fn ports(&self) -> &dyn Repositories {
        match self {
            TestStore::Postgres(db) => db.store(),
            TestStore::Sqlite(db) => db.store(),
        }
    }

    /// Runs one raw SQL statement on this database outside every adapter (to prove that the
    /// constraints hold on their own); the error is the database's message.
    pub async fn execute_raw(&self, sql: &str) -> Result<usize, String> {
        use diesel::Connection as _;
        match self {
            TestStore::Postgres(db) => {
                use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
                let mut conn = AsyncPgConnection::establish(db.url())
                    .await
                    .map_err(|e| e.to_string())?;
                diesel::sql_query(sql)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())
            }
            TestStore::Sqlite(file) => {
                let (path, sql) = (file.path().to_string_lossy().into_owned(), sql.to_owned());
                tokio::task::spawn_blocking(move || {
                    let mut conn =
                        diesel::SqliteConnection::establish(&path).map_err(|e| e.to_string())?;
                    diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn)
                        .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
            }
        }
    }

    pub fn users(&self) -> &dyn ports::UserRepository {
        self.ports()
    }

    pub fn reservations(&self) -> &dyn ports::ReservationRepository {
        self.ports()
    }

    pub fn slots(&self) -> &dyn ports::SlotRepository {
        self.ports()
    }

    pub fn catalog(&self) -> &dyn ports::VoucherCatalog {
        self.ports()
    }

    pub fn claims(&self) -> &dyn ports::VoucherClaims {
        self.ports()
    }

    pub fn outbox(&self) -> &dyn ports::Outbox {
        self.ports()
    }
}

trait Repositories:
    ports::UserRepository
    + ports::ReservationRepository
    + ports::SlotRepository
    + ports::VoucherCatalog
    + ports::VoucherClaims
    + ports::Outbox
{
}

impl<T> Repositories for T where
    T: ports::UserRepository
        + ports::ReservationRepository
        + ports::SlotRepository
        + ports::VoucherCatalog
        + ports::VoucherClaims
        + ports::Outbox
{
}
