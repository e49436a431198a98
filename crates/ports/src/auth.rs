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
    /// `Busy` when every hashing worker stayed taken for the bounded wait; `Backend` when the
    /// hashing task fails.
    async fn hash(&self, password: &Password) -> Result<String, HashError>;

    /// Verifies `password` against `hash`. With no hash (unknown user) it still does the same
    /// amount of work against a dummy hash and answers false, so timing does not reveal which
    /// usernames exist.
    ///
    /// # Errors
    /// As [`PasswordHasher::hash`].
    async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, HashError>;
}

/// Why a password could not be hashed or checked.
#[derive(Debug, Error)]
pub enum HashError {
    /// Every hashing worker stayed taken for the bounded wait: try again shortly.
    #[error("every password hashing worker is busy")]
    Busy,
    #[error(transparent)]
    Backend(#[from] BackendError),
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

    /// A device token (OWASP's device cookie): proof that the browser holding it has logged
    /// in to `account` (the name as the throttle keys it) before. Signed with a key of its
    /// own, so it can never pass as an access token.
    ///
    /// # Errors
    /// `Issue` when signing fails.
    fn issue_device(&self, account: &str, now: OffsetDateTime) -> Result<String, TokenError>;

    /// The device's id when `token` is a live device token of `account`, else `None`.
    fn verify_device(&self, token: &str, account: &str, now: OffsetDateTime) -> Option<String>;
}
