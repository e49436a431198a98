use super::*;
use crate::auth::AuthService;
use crate::error::{AppError, Conflict, Invalid, Unauthenticated};
use domain::SessionState;
use ports::{
    BackendError, CachedView, CreateUserError, IssuedToken, StoredCredentials, Throttle,
    TokenClaims, TokenError,
};

fn claims(user_id: i64, version: i64) -> TokenClaims {
    TokenClaims {
        user_id: UserId(user_id),
        session_version: version,
        token_id: "jti-1".into(),
        issued_at: NOW,
        expires_at: NOW + Duration::HOUR,
    }
}

#[tokio::test]
async fn sign_up_validates_before_hashing_and_creates_a_plain_user() {
    let s = Mocks::default().services().auth;
    assert!(matches!(
        s.sign_up("ab", "long enough").await,
        Err(AppError::Invalid(Invalid::Username(_)))
    ));
    assert!(matches!(
        s.sign_up("alice", "short").await,
        Err(AppError::Invalid(Invalid::Password(_)))
    ));

    let mut m = Mocks::default();
    m.hasher
        .expect_hash()
        .times(1)
        .returning(|_| Ok("$argon2id$hash".into()));
    m.users
        .expect_create()
        .withf(|n, note| {
            n.role == Role::User && n.password_hash == "$argon2id$hash" && note.is_none()
        })
        .times(1)
        .returning(|_, _| Ok(user(1, Role::User)));
    let u = m
        .services()
        .auth
        .sign_up("user1", "long enough")
        .await
        .expect("ok");
    assert_eq!(u.role, Role::User);
}

#[tokio::test]
async fn sign_up_with_a_taken_name_is_a_conflict() {
    let mut m = Mocks::default();
    m.hasher.expect_hash().returning(|_| Ok("h".into()));
    m.users
        .expect_create()
        .returning(|_, _| Err(CreateUserError::DuplicateUsername));
    assert!(matches!(
        m.services().auth.sign_up("Alice", "long enough").await,
        Err(AppError::Conflict(Conflict::DuplicateUsername))
    ));
}

#[tokio::test]
async fn create_admin_creates_the_admin_role_and_audits_it_without_an_actor() {
    let mut m = Mocks::default();
    m.hasher.expect_hash().returning(|_| Ok("h".into()));
    m.users
        .expect_create()
        .withf(|n, note| {
            n.role == Role::Admin
                && note.as_ref().is_some_and(|note| {
                    note.actor.is_none()
                        && note.action == domain::audit::AuditAction::AdminCreated
                        && note.changes.iter().any(|c| c.field == "username")
                })
        })
        .times(1)
        .returning(|_, _| Ok(user(3, Role::Admin)));
    m.services()
        .auth
        .create_admin("root_admin", "long enough")
        .await
        .expect("created");
}

#[tokio::test]
async fn log_in_with_unknown_user_still_hashes_and_fails_like_a_wrong_password() {
    let mut m = Mocks::default();
    m.users.expect_credentials().returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .withf(|_, hash| hash.is_none())
        .times(1)
        .returning(|_, _| Ok(false));
    let unknown = m
        .services()
        .auth
        .log_in("nobody", "whatever1", "127.0.0.1", None)
        .await;

    let mut m = Mocks::default();
    m.users.expect_credentials().returning(|_| {
        Ok(Some(StoredCredentials {
            user: user(1, Role::User),
            password_hash: "h".into(),
        }))
    });
    m.hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(false));
    let wrong = m
        .services()
        .auth
        .log_in("user1", "whatever1", "127.0.0.1", None)
        .await;

    for outcome in [unknown, wrong] {
        assert!(matches!(
            outcome,
            Err(AppError::Unauthenticated(Unauthenticated::BadCredentials))
        ));
    }
}

/// Mocks for a log-in of user 1 with the right password; the session cache answers `cached`.
fn right_password_log_in(cached: Result<Option<SessionState>, ()>) -> Mocks {
    let mut m = Mocks::default();
    m.users.expect_credentials().returning(|_| {
        Ok(Some(StoredCredentials {
            user: user(1, Role::User),
            password_hash: "h".into(),
        }))
    });
    m.hasher.expect_verify().returning(|_, _| Ok(true));
    m.tokens.expect_issue().times(1).returning(|u, _| {
        Ok(IssuedToken {
            token: "jwt".into(),
            claims: claims(u.id.0, u.session_version),
        })
    });
    m.cache
        .expect_view()
        .withf(|u, day| *u == UserId(1) && day.is_none())
        .times(1)
        .returning(move |_, _| {
            cached
                .clone()
                .map(|session| CachedView { session, day: None })
                .map_err(|()| BackendError::msg("down"))
        });
    m
}

async fn log_in_user1(m: Mocks) -> IssuedToken {
    m.services()
        .auth
        .log_in("user1", "right one", "127.0.0.1", None)
        .await
        .expect("token")
        .token
}

#[tokio::test]
async fn a_throttled_log_in_hashes_nothing() {
    let mut m = Mocks {
        own_throttle: true,
        ..Mocks::default()
    };
    m.tokens.expect_verify_device().returning(|_, _, _| None);
    m.throttle
        .expect_reserve()
        .times(1)
        .returning(|_| Ok(Throttle::Wait(std::time::Duration::from_secs(7))));
    m.users.expect_credentials().never();
    m.hasher.expect_verify().never();
    let outcome = m
        .services()
        .auth
        .log_in("user1", "right one", "127.0.0.1", None)
        .await;
    assert!(matches!(outcome, Err(AppError::Throttled(w)) if w.as_secs() == 7));
}

#[tokio::test]
async fn a_trusted_device_is_named_to_the_throttle_and_gets_no_new_token() {
    let mut m = right_password_log_in(Ok(None));
    m.own_throttle = true;
    m.expect_session_push(1);
    m.tokens
        .expect_verify_device()
        .withf(|token, account, _| token == "kept" && account == "user1")
        .returning(|_, _, _| Some("laptop".into()));
    m.tokens.expect_issue_device().never();
    m.throttle
        .expect_reserve()
        .withf(|a| a.device.as_deref() == Some("laptop") && a.client == "10.1.1.1")
        .times(1)
        .returning(|_| Ok(Throttle::Reserved));
    m.throttle.expect_succeeded().times(1).returning(|_| Ok(()));
    let logged_in = m
        .services()
        .auth
        .log_in("User1", "right one", "10.1.1.1", Some("kept"))
        .await
        .expect("logged in");
    assert_eq!(logged_in.device, None);
}

#[tokio::test]
async fn a_log_in_that_found_no_hashing_worker_gives_its_tokens_back() {
    let mut m = Mocks {
        own_throttle: true,
        ..Mocks::default()
    };
    m.tokens.expect_verify_device().returning(|_, _, _| None);
    m.throttle
        .expect_reserve()
        .times(1)
        .returning(|_| Ok(Throttle::Reserved));
    m.throttle.expect_give_back().times(1).returning(|_| Ok(()));
    m.throttle.expect_succeeded().never();
    m.users.expect_credentials().returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .returning(|_, _| Err(ports::HashError::Busy));
    let outcome = m
        .services()
        .auth
        .log_in("user1", "right one", "127.0.0.1", None)
        .await;
    assert!(outcome.is_err());
}

#[tokio::test]
async fn log_in_issues_a_token_and_warms_a_missing_session_state() {
    let mut m = right_password_log_in(Ok(None));
    // Not cached: the record is read and pushed, so the first requests need no database read.
    m.expect_session_push(1);
    assert_eq!(log_in_user1(m).await.token, "jwt");
}

#[tokio::test]
async fn log_in_leaves_a_cached_session_state_alone() {
    // Every change of a state is pushed when it happens, so a cached one is current.
    let mut m = right_password_log_in(Ok(Some(state(1, Role::User))));
    m.users.expect_session_state().never();
    m.cache.expect_keep_session().never();
    assert_eq!(log_in_user1(m).await.token, "jwt");
}

#[tokio::test]
async fn log_in_works_while_the_cache_is_down() {
    let mut m = right_password_log_in(Err(()));
    m.users.expect_session_state().never();
    m.cache.expect_keep_session().never();
    assert_eq!(log_in_user1(m).await.token, "jwt");
}

fn state(user_id: i64, role: Role) -> SessionState {
    SessionState {
        user_id: UserId(user_id),
        version: 1,
        role,
        session_version: 0,
        deleted: false,
        revoked: vec![],
    }
}

/// Authenticates with the cache answering `cached` and the record answering `recorded`.
async fn authenticate_with(
    verify: Result<TokenClaims, TokenError>,
    cached: Result<Option<SessionState>, ()>,
    recorded: Option<SessionState>,
) -> Result<crate::Session, AppError> {
    let mut m = Mocks::default();
    m.tokens.expect_verify().return_const(verify);
    let reachable = cached.is_ok();
    m.cache.expect_view().returning(move |_, _| {
        cached
            .clone()
            .map(|session| CachedView { session, day: None })
            .map_err(|()| BackendError::msg("redis down"))
    });
    m.users
        .expect_session_state()
        .returning(move |_, _| Ok(recorded.clone()));
    if reachable {
        m.cache.expect_keep_session().returning(|_| Ok(()));
    }
    m.services().auth.authenticate("token").await
}

#[tokio::test]
async fn authenticate_admits_a_live_token_from_the_cache_without_the_database() {
    // No session_state expectation would be met: the record must not be read.
    let mut m = Mocks::default();
    m.tokens.expect_verify().return_const(Ok(claims(3, 0)));
    m.cache.expect_view().times(1).returning(|_, _| {
        Ok(CachedView {
            session: Some(state(3, Role::User)),
            day: None,
        })
    });
    m.users.expect_session_state().never();
    let session = m
        .services()
        .auth
        .authenticate("token")
        .await
        .expect("session");
    assert_eq!(session.actor().role, Role::User);
    assert_eq!(session.token_id, "jti-1");
}

#[tokio::test]
async fn a_missing_cache_entry_is_rebuilt_from_the_record_and_kept() {
    let mut m = Mocks::default();
    m.tokens.expect_verify().return_const(Ok(claims(3, 0)));
    m.cache
        .expect_view()
        .returning(|_, _| Ok(CachedView::default()));
    m.users
        .expect_session_state()
        .times(1)
        .returning(|_, _| Ok(Some(state(3, Role::Admin))));
    m.cache
        .expect_keep_session()
        .withf(|s| s.user_id == UserId(3) && s.role == Role::Admin)
        .times(1)
        .returning(|_| Ok(()));
    let session = m
        .services()
        .auth
        .authenticate("token")
        .await
        .expect("session");
    assert_eq!(session.actor().role, Role::Admin);
}

#[tokio::test]
async fn an_unreachable_cache_falls_back_to_the_record() {
    let session = authenticate_with(Ok(claims(3, 0)), Err(()), Some(state(3, Role::User)))
        .await
        .expect("session from the database");
    assert_eq!(session.actor().user_id, UserId(3));
}

#[tokio::test]
async fn authenticate_rejects_bad_expired_revoked_deleted_and_stale_tokens() {
    let revoked = SessionState {
        revoked: vec!["jti-1".into()],
        ..state(1, Role::User)
    };
    let deleted = SessionState {
        deleted: true,
        ..state(1, Role::User)
    };
    let moved_on = SessionState {
        session_version: 1,
        ..state(1, Role::User)
    };
    let cases = [
        (
            authenticate_with(Err(TokenError::Invalid), Ok(None), None).await,
            Unauthenticated::InvalidToken,
        ),
        (
            authenticate_with(Err(TokenError::Expired), Ok(None), None).await,
            Unauthenticated::ExpiredToken,
        ),
        (
            authenticate_with(Ok(claims(1, 0)), Ok(Some(revoked.clone())), None).await,
            Unauthenticated::RevokedToken,
        ),
        (
            // Revocations live in the record too: a lost cache does not bring the token back.
            authenticate_with(Ok(claims(1, 0)), Ok(None), Some(revoked)).await,
            Unauthenticated::RevokedToken,
        ),
        (
            authenticate_with(Ok(claims(1, 0)), Err(()), Some(deleted)).await,
            Unauthenticated::SessionEnded,
        ),
        (
            authenticate_with(Ok(claims(1, 0)), Ok(None), None).await,
            Unauthenticated::SessionEnded,
        ),
        (
            // The password changed since: the stored session version moved on.
            authenticate_with(Ok(claims(1, 0)), Ok(Some(moved_on)), None).await,
            Unauthenticated::SessionEnded,
        ),
    ];
    for (outcome, expected) in cases {
        assert!(
            matches!(outcome, Err(AppError::Unauthenticated(u)) if u == expected),
            "{expected:?}"
        );
    }
}

#[tokio::test]
async fn log_out_records_the_revocation_then_pushes_the_new_state() {
    let mut m = Mocks::default();
    m.users
        .expect_revoke_token()
        .withf(|user, id, until, _| {
            *user == UserId(1) && id == "jti-1" && *until == NOW + Duration::HOUR
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    m.users.expect_session_state().times(1).returning(|_, _| {
        Ok(Some(SessionState {
            version: 2,
            revoked: vec!["jti-1".into()],
            ..state(1, Role::User)
        }))
    });
    m.cache
        .expect_keep_session()
        .withf(|s| s.version == 2 && s.revoked == ["jti-1"])
        .times(1)
        .returning(|_| Ok(()));
    let session = crate::Session {
        actor: OWNER,
        token_id: "jti-1".into(),
        expires_at: NOW + Duration::HOUR,
    };
    m.services().auth.log_out(&session).await.expect("revoked");
}

#[test]
fn require_admin_lets_only_admins_through() {
    assert!(AuthService::require_admin(&ADMIN).is_ok());
    assert!(matches!(
        AuthService::require_admin(&OWNER),
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn a_password_hashed_as_typed_before_normalization_still_logs_in() {
    // Set in decomposed form before passwords were normalized: its hash is of that form.
    const SET_AS: &str = "cafe\u{301}-cafe\u{301}";
    let mut m = right_password_log_in(Ok(Some(state(1, Role::User))));
    m.hasher.checkpoint();
    m.hasher
        .expect_verify()
        .times(2)
        .returning(|typed, _| Ok(typed == SET_AS));
    let logged_in = m
        .services()
        .auth
        .log_in("user1", SET_AS, "127.0.0.1", None)
        .await
        .expect("the form it was set in still works");
    assert_eq!(logged_in.token.token, "jwt");
}

#[tokio::test]
async fn a_password_typed_in_nfkc_form_is_checked_once() {
    let mut m = Mocks::default();
    m.users.expect_credentials().returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(false));
    let outcome = m
        .services()
        .auth
        .log_in("user1", "plain ascii", "127.0.0.1", None)
        .await;
    assert!(matches!(
        outcome,
        Err(AppError::Unauthenticated(Unauthenticated::BadCredentials))
    ));
}
