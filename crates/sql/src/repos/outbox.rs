//! `Outbox`: reading the events the triggers wrote (see the migration `outbox`), and purging
//! them after the retention period.

use super::Store;
use crate::errors::backend;
use crate::rows::{secs, OutboxRow};
use crate::schema::outbox_events;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::UserId;
use ports::{BackendError, Outbox, OutboxEvent};
use time::OffsetDateTime;

#[async_trait]
impl Outbox for Store {
    async fn events_after(
        &self,
        after: i64,
        owner: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, BackendError> {
        let mut conn = self.conn().await?;
        let mut q = outbox_events::table
            .filter(outbox_events::id.gt(after))
            .into_boxed();
        if let Some(user) = owner {
            q = q.filter(outbox_events::user_id.eq(user.0));
        }
        q.order(outbox_events::id.asc())
            .limit(i64::from(limit))
            .select(OutboxRow::as_select())
            .load(&mut conn)
            .await
            .map_err(backend)?
            .into_iter()
            .map(OutboxRow::into_event)
            .collect()
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<u64, BackendError> {
        let mut conn = self.conn().await?;
        let purged = diesel::delete(outbox_events::table)
            .filter(outbox_events::at.lt(secs(before)))
            .execute(&mut conn)
            .await
            .map_err(backend)?;
        Ok(purged as u64)
    }
}
