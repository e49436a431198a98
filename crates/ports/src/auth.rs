//! Password hashing, access tokens and their revocation.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::{Password, User, UserId};
use thiserror::Error;
use time::OffsetDateTime;

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes off the async workers (the work is deliberately slow).
    ///
    /// # Errors
    /// `BackendError` when the hashing task fails.
    async fn hash(&self, password: &Password) -> Result<String, BackendError>;

    /// Verifies `password` against `hash`. With no hash (unknown user) it still does the same
    /// amount of work against a dummy hash and answers false, so timing does not reveal which
    /// usernames exist.
    ///
    /// # Errors
    /// `BackendError` when the hashing task fails.
    async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, BackendError>;
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub user_id: UserId,
    pub session_version: i64,
    /// Unique per token; what logout revokes.
    pub token_id: String,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub claims: TokenClaims,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is malformed or its signature is wrong")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the token could not be issued: {0}")]
    Issue(String),
}

#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Tokens: Send + Sync {
    /// # Errors
    /// `Issue` when signing fails.
    fn issue(&self, user: &User, now: OffsetDateTime) -> Result<IssuedToken, TokenError>;

    /// # Errors
    /// `Invalid` for a bad signature or shape, `Expired` after its expiry.
    fn verify(&self, token: &str, now: OffsetDateTime) -> Result<TokenClaims, TokenError>;
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait TokenRevocations: Send + Sync {
    /// Remembers `token_id` as revoked until `until` (its expiry); afterwards it is forgotten.
    ///
    /// # Errors
    /// `BackendError` when the store is unreachable.
    async fn revoke(&self, token_id: &str, until: OffsetDateTime) -> Result<(), BackendError>;

    /// # Errors
    /// `BackendError` when the store is unreachable.
    async fn is_revoked(&self, token_id: &str) -> Result<bool, BackendError>;
}
