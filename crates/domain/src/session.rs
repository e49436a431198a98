//! Session state: the few facts about a user that decide whether one of their tokens still
//! works. Small on purpose, so that a copy can sit next to the request path.

use crate::reservation::Actor;
use crate::user::{Role, UserId};

/// What authentication needs to know about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    pub user_id: UserId,
    /// Grows with every change below (logout, password, role, deletion). A cached copy is only
    /// ever replaced by one with a higher version.
    pub version: i64,
    pub role: Role,
    /// The version tokens must carry: a password change bumps it, ending older tokens.
    pub session_version: i64,
    pub deleted: bool,
    /// Ids of logged-out tokens that have not expired yet.
    pub revoked: Vec<String>,
}

/// Why a signed, unexpired token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRefusal {
    /// The token was logged out.
    Revoked,
    /// The account is gone, or its password changed after the token was issued.
    Ended,
}

impl SessionState {
    /// The actor a token speaks for, if this state still accepts it.
    ///
    /// # Errors
    /// `Revoked` for a logged-out token, `Ended` for a deleted account or an older session.
    pub fn admit(&self, session_version: i64, token_id: &str) -> Result<Actor, SessionRefusal> {
        if self.deleted || self.session_version != session_version {
            return Err(SessionRefusal::Ended);
        }
        if self.revoked.iter().any(|t| t == token_id) {
            return Err(SessionRefusal::Revoked);
        }
        Ok(Actor {
            user_id: self.user_id,
            role: self.role,
            client: None,
        })
    }

    /// True when `other` is a later state of the same account than `self`.
    pub fn is_superseded_by(&self, other: &SessionState) -> bool {
        other.version > self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SessionState {
        SessionState {
            user_id: UserId(7),
            version: 3,
            role: Role::Admin,
            session_version: 1,
            deleted: false,
            revoked: vec!["gone".into()],
        }
    }

    #[test]
    fn a_live_token_of_the_current_session_is_admitted_with_the_current_role() {
        let actor = state().admit(1, "live").expect("admitted");
        assert_eq!(actor.user_id, UserId(7));
        assert_eq!(actor.role, Role::Admin);
    }

    #[test]
    fn logged_out_tokens_older_sessions_and_deleted_accounts_are_refused() {
        assert_eq!(state().admit(1, "gone"), Err(SessionRefusal::Revoked));
        assert_eq!(state().admit(0, "live"), Err(SessionRefusal::Ended));
        let deleted = SessionState {
            deleted: true,
            ..state()
        };
        assert_eq!(deleted.admit(1, "live"), Err(SessionRefusal::Ended));
    }

    #[test]
    fn only_a_higher_version_supersedes() {
        let newer = SessionState {
            version: 4,
            ..state()
        };
        assert!(state().is_superseded_by(&newer));
        assert!(!newer.is_superseded_by(&state()));
        assert!(!state().is_superseded_by(&state()));
    }
}
