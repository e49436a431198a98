//! User accounts.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::audit::AuditNote;
use domain::{Page, PageRequest, Role, SessionState, User, UserId, Username};
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: Username,
    pub password_hash: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
}

/// A user together with the stored password hash, for login only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredentials {
    pub user: User,
    pub password_hash: String,
}

/// A partial update: `None` keeps the current value. A new password hash also bumps the
/// user's session version so that tokens issued before stop working.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    pub username: Option<Username>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
}

#[derive(Debug, Error)]
pub enum CreateUserError {
    #[error("username is taken")]
    DuplicateUsername,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, Error)]
pub enum UpdateUserError {
    #[error("user not found")]
    NotFound,
    #[error("username is taken")]
    DuplicateUsername,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, Error)]
pub enum DeleteUserError {
    #[error("user not found")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
/// An admin's change carries an `AuditNote`, written in the change's own transaction; a user's
/// change to their own account carries none.
pub trait UserRepository: Send + Sync {
    /// # Errors
    /// `DuplicateUsername` when the name is taken in any letter case.
    async fn create(
        &self,
        user: NewUser,
        audit: Option<AuditNote>,
    ) -> Result<User, CreateUserError>;

    /// # Errors
    /// `BackendError` when storage fails.
    async fn get(&self, id: UserId) -> Result<Option<User>, BackendError>;

    /// Looks a user up by name regardless of letter case.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn credentials(&self, username: &str) -> Result<Option<StoredCredentials>, BackendError>;

    /// Users by id ascending.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list(&self, page: PageRequest) -> Result<Page<User>, BackendError>;

    /// # Errors
    /// `NotFound`, or `DuplicateUsername` when the new name is taken in any letter case.
    async fn update(
        &self,
        id: UserId,
        changes: UserChanges,
        audit: Option<AuditNote>,
    ) -> Result<User, UpdateUserError>;

    /// Deletes the user and, in the same transaction, cancels their reservations, freeing the
    /// seats of the confirmed ones (which go to the reservations waiting for them).
    ///
    /// # Errors
    /// `NotFound` when no such user exists.
    async fn delete(
        &self,
        id: UserId,
        release: crate::Release,
        audit: Option<AuditNote>,
    ) -> Result<(), DeleteUserError>;

    /// The record of what authentication needs about `id`: role, session version, deletion and
    /// the logged-out tokens that expire after `now`. `None` when no such account ever existed.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn session_state(
        &self,
        id: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<SessionState>, BackendError>;

    /// Records `token_id` as logged out until `expires_at` and bumps the account's state
    /// version; revocations that have expired by `now` are forgotten on the way.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn revoke_token(
        &self,
        id: UserId,
        token_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), BackendError>;
}
