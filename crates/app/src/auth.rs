//! Sign-up, log-in, log-out, and turning a bearer token into an authenticated session.
//!
//! Authentication reads no database row on the hot path: the token's signature is checked in
//! process, and the account's session state (role, session version, deletion, logged-out
//! tokens) comes from the shared cache in one round trip. The database is the record; every
//! change of those facts is written there first and then pushed to the cache before it is
//! answered, and a missing or unreachable cache entry is rebuilt from the record.

use crate::error::{AppError, Unauthenticated};
use crate::Deps;
use domain::audit::{AuditAction, AuditNote};
use domain::{Actor, Password, Role, SessionRefusal, SessionState, User, UserId, Username};
use ports::{
    Attempt, Clock, DayTag, IssuedToken, LoginThrottle, NewUser, PasswordHasher, SharedCache,
    Throttle, TokenClaims, TokenError, Tokens, UserRepository,
};
use std::sync::Arc;
use time::{Date, OffsetDateTime};

/// A request's authenticated context: who is acting and which token they used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub actor: Actor,
    pub token_id: String,
    pub expires_at: OffsetDateTime,
}

impl Session {
    pub fn actor(&self) -> Actor {
        self.actor
    }
}

#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn Tokens>,
    cache: Arc<dyn SharedCache>,
    throttle: Arc<dyn LoginThrottle>,
    clock: Arc<dyn Clock>,
}

/// A successful log-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    pub token: IssuedToken,
    /// A new device token for a browser the account did not trust yet, to keep (a cookie).
    pub device: Option<String>,
}

/// Longest account name a throttle key carries; longer ones are cut (and still throttled).
const MAX_THROTTLE_NAME: usize = 160;

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
            cache: deps.cache.clone(),
            throttle: deps.throttle.clone(),
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

    /// Creates an account; an admin's creation (from the command line, the only way to make
    /// one) is audited with no actor.
    async fn register(&self, username: &str, password: &str, role: Role) -> Result<User, AppError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let password_hash = self.hasher.hash(&password).await?;
        let now = self.clock.now();
        let note = (role == Role::Admin).then(|| {
            AuditNote::new(now, None, AuditAction::AdminCreated, None)
                .set("username", username.as_str())
                .set("role", role.as_str())
        });
        let user = self
            .users
            .create(
                NewUser {
                    username,
                    password_hash,
                    role,
                    created_at: now,
                },
                note,
            )
            .await?;
        Ok(user)
    }

    /// Checks the credentials and issues an access token. An unknown user and a wrong
    /// password give the same answer, after the same amount of hashing work, and are throttled
    /// the same way.
    ///
    /// The attempt is paid for before the password is hashed (one token from each of its
    /// throttle buckets, all or none), so concurrent guesses are counted one by one. `device`
    /// is the device token the browser kept from an earlier log-in: when it belongs to this
    /// account, only the device's own bucket counts, and failures from elsewhere cannot lock
    /// the owner out. A browser without one gets one with its first successful log-in.
    ///
    /// # Errors
    /// `Throttled` after too many failures; `Unauthenticated::BadCredentials`.
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        client: &str,
        device: Option<&str>,
    ) -> Result<LoggedIn, AppError> {
        let now = self.clock.now();
        let account: String = username
            .to_ascii_lowercase()
            .chars()
            .take(MAX_THROTTLE_NAME)
            .collect();
        let trusted = device.and_then(|token| self.tokens.verify_device(token, &account, now));
        let attempt = Attempt {
            account,
            client: client.to_owned(),
            device: trusted,
        };
        match self.throttle.reserve(&attempt).await {
            Ok(Throttle::Reserved) => {}
            Ok(Throttle::Wait(wait)) => return Err(AppError::Throttled(wait)),
            // The hash still protects the account; an outage of the counters must not lock
            // everyone out.
            Err(e) => tracing::warn!(error = %e, "log-in throttle unreachable; not applied"),
        }
        let outcome = self.check_credentials(username, password).await;
        let settled = match &outcome {
            Ok(_) => self.throttle.succeeded(&attempt).await,
            // A failure keeps what it paid.
            Err(AppError::Unauthenticated(Unauthenticated::BadCredentials)) => Ok(()),
            // Nothing was checked (no hashing worker, no database): the attempt was not a guess.
            Err(_) => self.throttle.give_back(&attempt).await,
        };
        if let Err(e) = settled {
            tracing::warn!(error = %e, "could not settle a log-in attempt with the throttle");
        }
        let token = outcome?;
        let device = match attempt.device {
            Some(_) => None,
            None => match self.tokens.issue_device(&attempt.account, now) {
                Ok(device) => Some(device),
                Err(e) => {
                    tracing::warn!(error = %e, "could not issue a device token");
                    None
                }
            },
        };
        Ok(LoggedIn { token, device })
    }

    async fn check_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<IssuedToken, AppError> {
        let stored = self.users.credentials(username).await?;
        let (user, hash) = match stored {
            Some(s) => (Some(s.user), Some(s.password_hash)),
            None => (None, None),
        };
        // Passwords are hashed in NFKC. One set before that rule was hashed as it was typed:
        // when the typed form differs from its NFKC, that form is checked too (for unknown
        // users as well, so the work, and the time, is the same either way).
        let normalized = Password::normalize(password);
        let mut verified = self.hasher.verify(&normalized, hash.clone()).await?;
        if !verified && normalized != password {
            verified = self.hasher.verify(password, hash).await?;
        }
        match user {
            Some(user) if verified => {
                let issued = self
                    .tokens
                    .issue(&user, self.clock.now())
                    .map_err(|e| AppError::Backend(ports::BackendError::new(e)))?;
                self.warm(user.id).await;
                Ok(issued)
            }
            _ => Err(Unauthenticated::BadCredentials.into()),
        }
    }

    /// Resolves a bearer token to a live session: signature and expiry, then the account's
    /// session state (logged out, deleted, password changed, current role).
    ///
    /// # Errors
    /// The matching `Unauthenticated` variant; `Backend` only when the database is needed and
    /// unreachable.
    pub async fn authenticate(&self, token: &str) -> Result<Session, AppError> {
        Ok(self.authenticate_for_day(token, None).await?.0)
    }

    /// As [`AuthService::authenticate`], reading the counter tag of `day` in the same round
    /// trip (for availability answered from memory). The tag is `None` when the cache cannot
    /// vouch for one.
    ///
    /// # Errors
    /// As [`AuthService::authenticate`].
    pub async fn authenticate_for_day(
        &self,
        token: &str,
        day: Option<Date>,
    ) -> Result<(Session, Option<DayTag>), AppError> {
        let claims = self.verify(token)?;
        let (state, tag) = match self.cache.view(claims.user_id, day).await {
            Ok(view) => match view.session {
                Some(state) => (state, view.day),
                None => (self.rebuild(claims.user_id).await?, view.day),
            },
            Err(e) => {
                // The cache is a copy: without it the record answers, only slower.
                tracing::debug!(error = %e, "shared cache unreachable; reading the session from the database");
                (self.record(claims.user_id).await?, None)
            }
        };
        let actor = state
            .admit(claims.session_version, &claims.token_id)
            .map_err(|refusal| match refusal {
                SessionRefusal::Revoked => Unauthenticated::RevokedToken,
                SessionRefusal::Ended => Unauthenticated::SessionEnded,
            })?;
        Ok((
            Session {
                actor,
                token_id: claims.token_id,
                expires_at: claims.expires_at,
            },
            tag,
        ))
    }

    /// Checks only the token's signature and expiry, in process. For answers that reveal
    /// nothing and change nothing (a press on a voucher known to be sold out); everything else
    /// needs [`AuthService::authenticate`].
    ///
    /// # Errors
    /// `InvalidToken` or `ExpiredToken`.
    pub fn check_signature(&self, token: &str) -> Result<(), AppError> {
        self.verify(token).map(|_| ())
    }

    fn verify(&self, token: &str) -> Result<TokenClaims, AppError> {
        Ok(self
            .tokens
            .verify(token, self.clock.now())
            .map_err(|e| match e {
                TokenError::Expired => Unauthenticated::ExpiredToken,
                TokenError::Invalid | TokenError::Issue(_) => Unauthenticated::InvalidToken,
            })?)
    }

    /// The session state as the database has it. A signed token names an account that existed,
    /// so an unknown id is treated as an ended session.
    async fn record(&self, user: UserId) -> Result<SessionState, AppError> {
        self.users
            .session_state(user, self.clock.now())
            .await?
            .ok_or_else(|| Unauthenticated::SessionEnded.into())
    }

    /// Makes sure the cache holds `user`'s session state, at log-in, while the request is slow
    /// anyway: the session's first requests (a drop's one press) then need no database read.
    /// A state already cached is left as it is, since every change of it is pushed when it
    /// happens; only a missing one costs the record's read.
    async fn warm(&self, user: UserId) {
        match self.cache.view(user, None).await {
            Ok(view) if view.session.is_some() => {}
            Ok(_) => {
                if let Err(e) = self.rebuild(user).await {
                    tracing::debug!(error = %e, "could not warm the session cache at log-in");
                }
            }
            // Nothing to warm: requests read the record until the cache is back.
            Err(e) => tracing::debug!(error = %e, "shared cache unreachable at log-in"),
        }
    }

    /// Reads the record and puts it in the cache (unless the cache holds a later one).
    async fn rebuild(&self, user: UserId) -> Result<SessionState, AppError> {
        let state = self.record(user).await?;
        if let Err(e) = self.cache.keep_session(&state).await {
            tracing::debug!(error = %e, "could not cache a session state");
        }
        Ok(state)
    }

    /// Revokes the session's token until it would have expired anyway: in the database first,
    /// then in the cache, before the answer.
    ///
    /// # Errors
    /// `Backend` when the database is unreachable.
    pub async fn log_out(&self, session: &Session) -> Result<(), AppError> {
        let now = self.clock.now();
        self.users
            .revoke_token(
                session.actor.user_id,
                &session.token_id,
                session.expires_at,
                now,
            )
            .await?;
        session_changed(
            self.users.as_ref(),
            self.cache.as_ref(),
            session.actor.user_id,
            now,
        )
        .await;
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

/// Pushes the recorded session state of `user` to the cache after a change of it. If the
/// cache is unreachable there is nothing to correct later: requests then read the record, and a
/// cache that comes back empty is rebuilt from it; see docs/ARCHITECTURE.md for the one case
/// that is bounded by the entries' lifetime instead.
pub(crate) async fn session_changed(
    users: &dyn UserRepository,
    cache: &dyn SharedCache,
    user: UserId,
    now: OffsetDateTime,
) {
    let state = match users.session_state(user, now).await {
        Ok(Some(state)) => state,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, user = %user, "could not re-read a changed session state");
            return;
        }
    };
    if let Err(e) = cache.keep_session(&state).await {
        tracing::warn!(error = %e, user = %user, "could not push a changed session state to the cache");
    }
}
