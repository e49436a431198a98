//! `IdempotencyKeys`: one row per (user, key), taken with an insert that does nothing on
//! conflict, so two requests racing with one key cannot both start.

use super::Store;
use crate::errors::backend;
use crate::rows::secs;
use crate::schema::idempotency_keys as keys;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::UserId;
use ports::{BackendError, IdempotencyKeys, KeyAges, KeyStart};
use time::OffsetDateTime;

/// A record can vanish between the insert that found it and the read (its request was
/// abandoned); the insert is then tried again, a few times at most.
const ATTEMPTS: usize = 3;

#[async_trait]
impl IdempotencyKeys for Store {
    async fn start(
        &self,
        user: UserId,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        ages: KeyAges,
    ) -> Result<KeyStart, BackendError> {
        let mut conn = self.conn().await?;
        let now = secs(now);
        let mine = || keys::user_id.eq(user.0).and(keys::key.eq(key));
        for _ in 0..ATTEMPTS {
            let inserted = diesel::insert_into(keys::table)
                .values((
                    keys::user_id.eq(user.0),
                    keys::key.eq(key),
                    keys::fingerprint.eq(fingerprint),
                    keys::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(&mut conn)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(KeyStart::Started);
            }
            // An expired answer, or a request that died with its process before its work
            // committed, gives the key up. (One whose work committed keeps it: see `Done`.)
            let answered_long_ago = keys::response_status
                .is_not_null()
                .and(keys::created_at.lt(secs(ages.answered_before)));
            let died_in_flight = keys::response_status
                .is_null()
                .and(keys::resource_id.is_null())
                .and(keys::created_at.lt(secs(ages.in_flight_before)));
            let taken_over = diesel::update(keys::table)
                .filter(mine())
                .filter(answered_long_ago.or(died_in_flight))
                .set((
                    keys::fingerprint.eq(fingerprint),
                    keys::response_status.eq(None::<i32>),
                    keys::response_body.eq(None::<String>),
                    keys::resource_id.eq(None::<i64>),
                    keys::created_at.eq(now),
                ))
                .execute(&mut conn)
                .await
                .map_err(backend)?;
            if taken_over == 1 {
                return Ok(KeyStart::Started);
            }
            type Found = (String, Option<i32>, Option<String>, Option<i64>);
            let found: Option<Found> = keys::table
                .filter(mine())
                .select((
                    keys::fingerprint,
                    keys::response_status,
                    keys::response_body,
                    keys::resource_id,
                ))
                .first(&mut conn)
                .await
                .optional()
                .map_err(backend)?;
            return Ok(match found {
                None => continue,
                Some((stored, ..)) if stored != fingerprint => KeyStart::Reused,
                Some((_, Some(status), Some(body), _)) => KeyStart::Replay {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                },
                Some((_, _, _, Some(resource_id))) => KeyStart::Done { resource_id },
                Some(_) => KeyStart::InFlight,
            });
        }
        Err(BackendError::msg(
            "an idempotency key kept vanishing between insert and read",
        ))
    }

    async fn finish(
        &self,
        user: UserId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), BackendError> {
        let mut conn = self.conn().await?;
        diesel::update(keys::table)
            .filter(keys::user_id.eq(user.0).and(keys::key.eq(key)))
            .set((
                keys::response_status.eq(Some(i32::from(status))),
                keys::response_body.eq(Some(body)),
            ))
            .execute(&mut conn)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn abandon(&self, user: UserId, key: &str) -> Result<(), BackendError> {
        let mut conn = self.conn().await?;
        diesel::delete(keys::table)
            .filter(keys::user_id.eq(user.0).and(keys::key.eq(key)))
            .filter(keys::response_status.is_null())
            // Work that committed keeps its key: a retry answers with what it made.
            .filter(keys::resource_id.is_null())
            .execute(&mut conn)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<u64, BackendError> {
        let mut conn = self.conn().await?;
        let purged = diesel::delete(keys::table)
            .filter(keys::created_at.lt(secs(before)))
            .filter(keys::response_status.is_not_null())
            .execute(&mut conn)
            .await
            .map_err(backend)?;
        Ok(purged as u64)
    }
}
