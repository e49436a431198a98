//! The events of the outbox, as the use cases see them: kept for a while, then purged.

use crate::error::AppError;
use ports::{Clock, Outbox};
use std::sync::Arc;
use time::Duration;

#[derive(Clone)]
pub struct EventService {
    outbox: Arc<dyn Outbox>,
    clock: Arc<dyn Clock>,
    retention: Duration,
}

impl std::fmt::Debug for EventService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventService")
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl EventService {
    pub fn new(outbox: Arc<dyn Outbox>, clock: Arc<dyn Clock>, retention: Duration) -> Self {
        Self {
            outbox,
            clock,
            retention,
        }
    }

    /// Deletes the events older than the retention period; returns how many.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        Ok(self.outbox.purge(self.clock.now() - self.retention).await?)
    }
}
