//! `/ready`'s view of the database: one trivial query on a pooled connection.

use super::{Store, PROBE_NAME};
use async_trait::async_trait;
use diesel_async::RunQueryDsl;
use ports::{BackendError, HealthProbe};

#[async_trait]
impl HealthProbe for Store {
    fn name(&self) -> &'static str {
        PROBE_NAME
    }

    async fn check(&self) -> Result<(), BackendError> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }
}
