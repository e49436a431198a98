//! `SlotRepository`.

use super::{audit, first_come, Dialect, Store};
use crate::dialect::SqlDialect;
use crate::errors::backend;
use crate::rows::{secs, SlotRow};
use crate::schema::exam_slots;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::{BookingMode, SlotHorizon};
use ports::{BackendError, EnsureReport, Slot, SlotRepository};
use std::collections::BTreeMap;
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
        mode: BookingMode,
    ) -> Result<EnsureReport, BackendError> {
        let capacity = i32::try_from(capacity).map_err(BackendError::new)?;
        let rows: Vec<SlotRow> = horizon
            .starts()
            .map(|s| SlotRow {
                starts_at: secs(s),
                capacity,
                confirmed: 0,
                booking_mode: mode.as_str().to_owned(),
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

    async fn set_mode(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        mode: BookingMode,
        audit: AuditNote,
    ) -> Result<u64, BackendError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |conn| {
            let set = diesel::update(exam_slots::table)
                .filter(exam_slots::starts_at.ge(secs(from)))
                .filter(exam_slots::starts_at.lt(secs(to)))
                .filter(exam_slots::booking_mode.ne(mode.as_str()))
                .set(exam_slots::booking_mode.eq(mode.as_str()))
                .execute(conn)
                .await?;
            if set > 0 {
                // The range's first hour names the change; the note carries the whole range.
                let note = audit.change("slots_changed", 0i64, set as i64);
                audit::write(conn, &note, secs(from)).await?;
            }
            QueryResult::Ok(set as u64)
        })
        .await
        .map_err(backend)
    }

    async fn list_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Slot>, BackendError> {
        let mut conn = self.conn().await?;
        let rows: Vec<SlotRow> = exam_slots::table
            .filter(exam_slots::starts_at.ge(secs(from)))
            .filter(exam_slots::starts_at.lt(secs(to)))
            .order(exam_slots::starts_at.asc())
            .select(SlotRow::as_select())
            .load(&mut conn)
            .await
            .map_err(backend)?;
        // Only first-come hours have a waitlist worth counting: approval days pay no second read.
        let first_come = BookingMode::FirstCome.as_str();
        let waiting = if rows.iter().any(|r| r.booking_mode == first_come) {
            first_come::waitlisted_per_hour(&mut conn, secs(from), secs(to))
                .await
                .map_err(backend)?
        } else {
            BTreeMap::new()
        };
        rows.into_iter()
            .map(|row| {
                let waitlisted = match row.booking_mode == first_come {
                    true => waiting.get(&row.starts_at).copied().unwrap_or(0),
                    false => 0,
                };
                row.into_slot(waitlisted)
            })
            .collect()
    }
}
