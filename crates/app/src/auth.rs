//! Sign-up, log-in, log-out, and turning a bearer token into an authenticated session.

use crate::error::{AppError, Unauthenticated};
use crate::Deps;
use domain::{Actor, Password, Role, User, Username};
use ports::{
    Clock, IssuedToken, NewUser, PasswordHasher, TokenError, TokenRevocations, Tokens,
    UserRepository,
};
use std::sync::Arc;
use time::OffsetDateTime;

/// A request's authenticated context: who is acting and which token they used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub token_id: String,
    pub expires_at: OffsetDateTime,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id,
            role: self.user.role,
        }
    }
}

#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn Tokens>,
    revocations: Arc<dyn TokenRevocations>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

impl AuthService {
    pub fn new(deps: &Deps) -> Self {
        Self {
            users: deps.users.clone(),
            hasher: deps.hasher.clone(),
            tokens: deps.tokens.clone(),
            revocations: deps.revocations.clone(),
            clock: deps.clock.clone(),
        }
    }

    /// Registers a new user with the `user` role.
    ///
    /// # Errors
    /// `Invalid` for a bad username or password, `Conflict::DuplicateUsername`.
    pub async fn sign_up(&self, username: &str, password: &str) -> Result<User, AppError> {
        self.register(username, password, Role::User).await
    }

    /// Creates an admin account (operators' first-run command).
    ///
    /// # Errors
    /// As [`AuthService::sign_up`].
    pub async fn create_admin(&self, username: &str, password: &str) -> Result<User, AppError> {
        self.register(username, password, Role::Admin).await
    }

    async fn register(&self, username: &str, password: &str, role: Role) -> Result<User, AppError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let password_hash = self.hasher.hash(&password).await?;
        let user = self
            .users
            .create(NewUser {
                username,
                password_hash,
                role,
                created_at: self.clock.now(),
            })
            .await?;
        Ok(user)
    }

    /// Checks the credentials and issues an access token. An unknown user and a wrong
    /// password give the same answer, after the same amount of hashing work.
    ///
    /// # Errors
    /// `Unauthenticated::BadCredentials`.
    pub async fn log_in(&self, username: &str, password: &str) -> Result<IssuedToken, AppError> {
        let stored = self.users.credentials(username).await?;
        let (user, hash) = match stored {
            Some(s) => (Some(s.user), Some(s.password_hash)),
            None => (None, None),
        };
        let verified = self.hasher.verify(password, hash).await?;
        match user {
            Some(user) if verified => self
                .tokens
                .issue(&user, self.clock.now())
                .map_err(|e| AppError::Backend(ports::BackendError::new(e))),
            _ => Err(Unauthenticated::BadCredentials.into()),
        }
    }

    /// Resolves a bearer token to a live session. Checks signature and expiry, revocation, that
    /// the account still exists, and that its password has not changed since the token was
    /// issued; the role is read fresh, so a demotion takes effect at once.
    ///
    /// # Errors
    /// The matching `Unauthenticated` variant.
    pub async fn authenticate(&self, token: &str) -> Result<Session, AppError> {
        let claims = self
            .tokens
            .verify(token, self.clock.now())
            .map_err(|e| match e {
                TokenError::Expired => Unauthenticated::ExpiredToken,
                TokenError::Invalid | TokenError::Issue(_) => Unauthenticated::InvalidToken,
            })?;
        // Both lookups are independent; run them together so the request pays one latency.
        let (revoked, user) = tokio::join!(
            self.revocations.is_revoked(&claims.token_id),
            self.users.get(claims.user_id)
        );
        if revoked? {
            return Err(Unauthenticated::RevokedToken.into());
        }
        match user? {
            Some(user) if user.session_version == claims.session_version => Ok(Session {
                user,
                token_id: claims.token_id,
                expires_at: claims.expires_at,
            }),
            _ => Err(Unauthenticated::SessionEnded.into()),
        }
    }

    /// Revokes the session's token until it would have expired anyway.
    ///
    /// # Errors
    /// `Backend` when the revocation store is unreachable.
    pub async fn log_out(&self, session: &Session) -> Result<(), AppError> {
        self.revocations
            .revoke(&session.token_id, session.expires_at)
            .await?;
        Ok(())
    }

    /// The role gate of every admin use case, also used by the HTTP layer to answer 403 before
    /// looking at the request body.
    ///
    /// # Errors
    /// `Forbidden` for non-admins.
    pub fn require_admin(actor: &Actor) -> Result<(), AppError> {
        if actor.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}
