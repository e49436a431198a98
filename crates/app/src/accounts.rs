//! Own account management and the admin's user management.

use crate::auth::{session_changed, AuthService};
use crate::error::AppError;
use crate::Deps;
use domain::audit::{AuditAction, AuditNote, AuditValue};
use domain::{Actor, Page, PageRequest, Password, Role, User, UserId, Username};
use ports::{Clock, PasswordHasher, SharedCache, UserChanges, UserRepository};
use std::sync::Arc;

/// A partial change to an account: absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub username: Option<String>,
    pub password: Option<String>,
    /// Only honoured for admins; the own-account use case never passes it.
    pub role: Option<Role>,
}

#[derive(Clone)]
pub struct AccountService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    cache: Arc<dyn SharedCache>,
    clock: Arc<dyn Clock>,
    /// A deletion frees seats; waiting reservations inside the window take them.
    window: domain::BookingWindow,
}

impl std::fmt::Debug for AccountService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountService").finish_non_exhaustive()
    }
}

impl AccountService {
    pub fn new(deps: &Deps) -> Self {
        Self {
            users: deps.users.clone(),
            hasher: deps.hasher.clone(),
            cache: deps.cache.clone(),
            clock: deps.clock.clone(),
            window: deps.policy.window,
        }
    }

    /// Changes the actor's own username and/or password. A new password ends every token
    /// issued before it, the current one included.
    ///
    /// # Errors
    /// `Invalid` for a bad username or password, `Conflict::DuplicateUsername`.
    pub async fn update_own(&self, actor: &Actor, patch: UserPatch) -> Result<User, AppError> {
        let patch = UserPatch {
            role: None,
            ..patch
        };
        self.apply(actor.user_id, patch, None).await
    }

    /// Deletes the actor's own account, cancelling their reservations (freeing confirmed seats)
    /// and ending their tokens.
    ///
    /// # Errors
    /// `NotFound` if the account vanished meanwhile.
    pub async fn delete_own(&self, actor: &Actor) -> Result<(), AppError> {
        self.remove(actor.user_id, None).await
    }

    /// The actor's own account.
    ///
    /// # Errors
    /// `NotFound` if the account vanished meanwhile.
    pub async fn own(&self, actor: &Actor) -> Result<User, AppError> {
        self.users
            .get(actor.user_id)
            .await?
            .ok_or(AppError::NotFound("user"))
    }

    /// # Errors
    /// `Forbidden` for non-admins.
    pub async fn list(&self, actor: &Actor, page: PageRequest) -> Result<Page<User>, AppError> {
        AuthService::require_admin(actor)?;
        Ok(self.users.list(page).await?)
    }

    /// # Errors
    /// `Forbidden` for non-admins, `NotFound`.
    pub async fn get(&self, actor: &Actor, id: UserId) -> Result<User, AppError> {
        AuthService::require_admin(actor)?;
        self.users.get(id).await?.ok_or(AppError::NotFound("user"))
    }

    /// Changes any user's username, password and role.
    ///
    /// # Errors
    /// `Forbidden` for non-admins, `Invalid`, `NotFound`, `Conflict::DuplicateUsername`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: UserId,
        patch: UserPatch,
    ) -> Result<User, AppError> {
        AuthService::require_admin(actor)?;
        self.apply(id, patch, Some(actor)).await
    }

    /// Deletes any user, as their own deletion would.
    ///
    /// # Errors
    /// `Forbidden` for non-admins, `NotFound`.
    pub async fn delete(&self, actor: &Actor, id: UserId) -> Result<(), AppError> {
        AuthService::require_admin(actor)?;
        self.remove(id, Some(actor)).await
    }

    /// Deletes the account, then tells the cache: its tokens end, and the seats it freed may be
    /// on any date.
    async fn remove(&self, id: UserId, admin: Option<&Actor>) -> Result<(), AppError> {
        let now = self.clock.now();
        let note = admin.map(|a| {
            AuditNote::by(a, now, AuditAction::UserDeleted, Some(id.0))
                .change("deleted", false, true)
        });
        let release = ports::Release::at(now, &self.window);
        self.users.delete(id, release, note).await?;
        session_changed(self.users.as_ref(), self.cache.as_ref(), id, now).await;
        if let Err(e) = self.cache.all_days_changed().await {
            tracing::warn!(error = %e, "could not retag availability after a deletion");
        }
        Ok(())
    }

    /// Applies `patch` to account `id`; an `admin`'s change is audited.
    async fn apply(
        &self,
        id: UserId,
        patch: UserPatch,
        admin: Option<&Actor>,
    ) -> Result<User, AppError> {
        // Validate everything before the slow hash and before touching storage.
        let username = patch.username.as_deref().map(Username::parse).transpose()?;
        let password = patch.password.as_deref().map(Password::parse).transpose()?;
        let password_hash = match password {
            Some(p) => Some(self.hasher.hash(&p).await?),
            None => None,
        };
        let changes = UserChanges {
            username,
            password_hash,
            role: patch.role,
        };
        if changes == UserChanges::default() {
            return self.users.get(id).await?.ok_or(AppError::NotFound("user"));
        }
        let note = match admin {
            Some(admin) => Some(self.note_of_change(admin, id, &changes).await?),
            None => None,
        };
        let user = self.users.update(id, changes, note).await?;
        session_changed(
            self.users.as_ref(),
            self.cache.as_ref(),
            id,
            self.clock.now(),
        )
        .await;
        Ok(user)
    }

    /// The audit note of an admin's change to account `id`, before and after. The password
    /// itself is never written down, only that it changed.
    async fn note_of_change(
        &self,
        admin: &Actor,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<AuditNote, AppError> {
        let before = self
            .users
            .get(id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let mut note = AuditNote::by(
            admin,
            self.clock.now(),
            AuditAction::UserChanged,
            Some(id.0),
        );
        if let Some(role) = changes.role {
            note = note.change("role", before.role.as_str(), role.as_str());
        }
        if let Some(name) = &changes.username {
            note = note.change("username", before.username.as_str(), name.as_str());
        }
        if changes.password_hash.is_some() {
            note = note.change("password", AuditValue::Hidden, AuditValue::Hidden);
        }
        Ok(note)
    }
}
