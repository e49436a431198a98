//! `SlotRepository`.

use super::{Dialect, Store};
use crate::dialect::SqlDialect;
use crate::errors::backend;
use crate::rows::{secs, SlotRow};
use crate::schema::exam_slots;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::SlotHorizon;
use ports::{BackendError, EnsureReport, Slot, SlotRepository};
use time::OffsetDateTime;

/// Rows per INSERT: three binds each, well under the bind limits (PostgreSQL 65,535, SQLite
/// 32,766).
const CHUNK: usize = 5_000;

#[async_trait]
impl SlotRepository for Store {
    async fn ensure(
        &self,
        horizon: SlotHorizon,
        capacity: u32,
    ) -> Result<EnsureReport, BackendError> {
        let capacity = i32::try_from(capacity).map_err(BackendError::new)?;
        let rows: Vec<SlotRow> = horizon
            .starts()
            .map(|s| SlotRow {
                starts_at: secs(s),
                capacity,
                confirmed: 0,
            })
            .collect();
        let mut conn = self.conn().await?;
        let mut created = 0u64;
        for chunk in rows.chunks(CHUNK) {
            // Concurrent runs are safe: a slot inserted by another run is simply skipped.
            let n = Dialect::insert_missing_slots(&mut conn, chunk)
                .await
                .map_err(backend)?;
            created += n as u64;
        }
        Ok(EnsureReport {
            created,
            already_present: rows.len() as u64 - created,
        })
    }

    async fn list_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Slot>, BackendError> {
        let mut conn = self.conn().await?;
        exam_slots::table
            .filter(exam_slots::starts_at.ge(secs(from)))
            .filter(exam_slots::starts_at.lt(secs(to)))
            .order(exam_slots::starts_at.asc())
            .select(SlotRow::as_select())
            .load(&mut conn)
            .await
            .map_err(backend)?
            .into_iter()
            .map(SlotRow::into_slot)
            .collect()
    }
}
