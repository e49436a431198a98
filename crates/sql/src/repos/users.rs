//! `UserRepository`.

use super::{audit, first_come, Db, Dialect, Store};
use crate::dialect::SqlDialect;
use crate::errors::{backend, is_unique_violation, retry_tx, TxError};
use crate::rows::{secs, UserRow};
use crate::schema::{reservations, revoked_tokens, users};
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::{Page, PageRequest, ReservationStatus, Role, SessionState, User, UserId};
use ports::{
    BackendError, CreateUserError, DeleteUserError, NewUser, Release, StoredCredentials,
    UpdateUserError, UserChanges, UserRepository,
};
use std::collections::BTreeMap;
use time::OffsetDateTime;

fn live() -> diesel::dsl::IsNull<users::deleted_at> {
    users::deleted_at.is_null()
}

#[async_trait]
impl UserRepository for Store {
    async fn create(
        &self,
        user: NewUser,
        audit: Option<AuditNote>,
    ) -> Result<User, CreateUserError> {
        let mut conn = self.conn().await?;
        let row: UserRow = conn
            .transaction(async |conn| {
                let row: UserRow = diesel::insert_into(users::table)
                    .values((
                        users::username.eq(user.username.as_str()),
                        users::username_key.eq(user.username.canonical()),
                        users::password_hash.eq(&user.password_hash),
                        users::role.eq(user.role.as_str()),
                        users::created_at.eq(secs(user.created_at)),
                    ))
                    .returning(UserRow::as_returning())
                    .get_result(conn)
                    .await?;
                if let Some(note) = &audit {
                    audit::write(conn, note, row.id).await?;
                }
                diesel::QueryResult::Ok(row)
            })
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    CreateUserError::DuplicateUsername
                } else {
                    CreateUserError::Backend(backend(e))
                }
            })?;
        Ok(row.into_user()?)
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, BackendError> {
        let mut conn = self.conn().await?;
        users::table
            .filter(users::id.eq(id.0).and(live()))
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(backend)?
            .map(UserRow::into_user)
            .transpose()
    }

    async fn credentials(&self, username: &str) -> Result<Option<StoredCredentials>, BackendError> {
        let mut conn = self.conn().await?;
        let row = users::table
            .filter(
                users::username_key
                    .eq(username.to_ascii_lowercase())
                    .and(live()),
            )
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(backend)?;
        row.map(|r| {
            let password_hash = r.password_hash.clone();
            Ok(StoredCredentials {
                user: r.into_user()?,
                password_hash,
            })
        })
        .transpose()
    }

    async fn list(&self, page: PageRequest) -> Result<Page<User>, BackendError> {
        let mut conn = self.conn().await?;
        page_of!(
            conn,
            page,
            users::table.filter(live()).order(users::id.asc()),
            [UserRow],
            users::table.filter(live()),
            |r| r.into_user()
        )
    }

    async fn update(
        &self,
        id: UserId,
        changes: UserChanges,
        audit: Option<AuditNote>,
    ) -> Result<User, UpdateUserError> {
        let mut conn = self.conn().await?;
        let bump = i64::from(changes.password_hash.is_some());
        let row: Option<UserRow> = conn
            .transaction(async |conn| {
                let row: Option<UserRow> = diesel::update(users::table)
                    .filter(users::id.eq(id.0).and(live()))
                    .set((
                        changes
                            .username
                            .as_ref()
                            .map(|u| users::username.eq(u.as_str().to_owned())),
                        changes
                            .username
                            .as_ref()
                            .map(|u| users::username_key.eq(u.canonical())),
                        changes.password_hash.map(|h| users::password_hash.eq(h)),
                        changes.role.map(|r| users::role.eq(r.as_str())),
                        users::session_version.eq(users::session_version + bump),
                        users::auth_version.eq(users::auth_version + 1),
                    ))
                    .returning(UserRow::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?;
                if let (Some(_), Some(note)) = (&row, &audit) {
                    audit::write(conn, note, id.0).await?;
                }
                diesel::QueryResult::Ok(row)
            })
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    UpdateUserError::DuplicateUsername
                } else {
                    UpdateUserError::Backend(backend(e))
                }
            })?;
        Ok(row.ok_or(UpdateUserError::NotFound)?.into_user()?)
    }

    async fn delete(
        &self,
        id: UserId,
        release: Release,
        audit: Option<AuditNote>,
    ) -> Result<(), DeleteUserError> {
        let mut conn = self.conn().await?;
        let outcome = retry_tx!(delete_in_tx(&mut conn, id, &release, audit.as_ref()).await);
        match outcome {
            Ok(()) => Ok(()),
            Err(TxError::Rule(e)) => Err(e),
            Err(TxError::Db(e)) => Err(DeleteUserError::Backend(backend(e))),
        }
    }

    async fn session_state(
        &self,
        id: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<SessionState>, BackendError> {
        let mut conn = self.conn().await?;
        // The row first, then the revocations: revocations only accumulate, so a logout that
        // lands in between makes the list longer than the version says, never shorter.
        let row: Option<(String, i64, i64, Option<i64>)> = users::table
            .find(id.0)
            .select((
                users::role,
                users::session_version,
                users::auth_version,
                users::deleted_at,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(backend)?;
        let Some((role, session_version, version, deleted_at)) = row else {
            return Ok(None);
        };
        let revoked: Vec<String> = revoked_tokens::table
            .filter(revoked_tokens::user_id.eq(id.0))
            .filter(revoked_tokens::expires_at.gt(secs(now)))
            .select(revoked_tokens::token_id)
            .load(&mut conn)
            .await
            .map_err(backend)?;
        Ok(Some(SessionState {
            user_id: id,
            version,
            role: Role::parse(&role).ok_or_else(|| BackendError::msg("corrupt role"))?,
            session_version,
            deleted: deleted_at.is_some(),
            revoked,
        }))
    }

    async fn revoke_token(
        &self,
        id: UserId,
        token_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), BackendError> {
        let mut conn = self.conn().await?;
        let (expires_at, now) = (secs(expires_at), secs(now));
        let outcome = retry_tx!(revoke_in_tx(&mut conn, id, token_id, expires_at, now).await);
        match outcome {
            Ok(()) => Ok(()),
            Err(TxError::Rule(e)) => Err(e),
            Err(TxError::Db(e)) => Err(backend(e)),
        }
    }
}

/// Soft-deletes the user, cancels their live reservations and frees the confirmed seats (which
/// go to the reservations waiting for them), in one transaction. Reservations are locked
/// before slots (the order every writer uses), and slots in ascending order (see `dialect`).
async fn delete_in_tx(
    conn: &mut Db,
    id: UserId,
    release: &Release,
    audit: Option<&AuditNote>,
) -> Result<(), TxError<DeleteUserError>> {
    let now = secs(release.now);
    conn.transaction(async move |conn| {
        let deleted = diesel::update(users::table)
            .filter(users::id.eq(id.0).and(live()))
            .set((
                users::deleted_at.eq(now),
                users::auth_version.eq(users::auth_version + 1),
            ))
            .execute(conn)
            .await?;
        if deleted == 0 {
            return Err(TxError::Rule(DeleteUserError::NotFound));
        }
        // Each UPDATE locks the rows it cancels (on PostgreSQL), before any slot is touched.
        let cancel = |status: &'static str| {
            diesel::update(reservations::table)
                .filter(reservations::user_id.eq(id.0))
                .filter(reservations::status.eq(status))
                .set((
                    reservations::status.eq(ReservationStatus::Cancelled.as_str()),
                    reservations::updated_at.eq(now),
                ))
        };
        let confirmed: Vec<(i64, i64, i32)> = cancel(ReservationStatus::Confirmed.as_str())
            .returning((
                reservations::starts_at,
                reservations::ends_at,
                reservations::seats,
            ))
            .get_results(conn)
            .await?;
        let pending = cancel(ReservationStatus::Pending.as_str())
            .execute(conn)
            .await?;
        let waitlisted = cancel(ReservationStatus::Waitlisted.as_str())
            .execute(conn)
            .await?;
        if let Some(note) = audit {
            // What the deletion did to the account's reservations is part of the change.
            let note = note
                .clone()
                .change(
                    "confirmed_reservations_cancelled",
                    0i64,
                    confirmed.len() as i64,
                )
                .change("pending_reservations_cancelled", 0i64, pending as i64)
                .change("waitlisted_reservations_cancelled", 0i64, waitlisted as i64);
            audit::write(conn, &note, id.0).await?;
        }

        // Seats to free per slot start, ascending.
        let mut freed: BTreeMap<i64, i32> = BTreeMap::new();
        for (start, end, seats) in confirmed {
            for hour in first_come::freed_hours([(start, end)]) {
                *freed.entry(hour).or_default() += seats;
            }
        }
        if !freed.is_empty() {
            Dialect::add_per_slot(conn, freed.iter().map(|(h, n)| (*h, -n)).collect()).await?;
            let hours = freed.into_keys().collect();
            first_come::promote(conn, &hours, release).await?;
        }
        Ok(())
    })
    .await
}

/// Records one logged-out token and bumps the account's state version, forgetting the
/// account's revocations that have expired.
async fn revoke_in_tx(
    conn: &mut Db,
    id: UserId,
    token_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), TxError<BackendError>> {
    conn.transaction(async move |conn| {
        diesel::delete(revoked_tokens::table)
            .filter(revoked_tokens::user_id.eq(id.0))
            .filter(revoked_tokens::expires_at.le(now))
            .execute(conn)
            .await?;
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::token_id.eq(token_id),
                revoked_tokens::user_id.eq(id.0),
                revoked_tokens::expires_at.eq(expires_at),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        diesel::update(users::table.find(id.0))
            .set(users::auth_version.eq(users::auth_version + 1))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}
