use super::*;
use crate::auth::AuthService;
use crate::error::{AppError, Conflict, Invalid, Unauthenticated};
use ports::{CreateUserError, IssuedToken, StoredCredentials, TokenClaims, TokenError};

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
        .withf(|n| n.role == Role::User && n.password_hash == "$argon2id$hash")
        .times(1)
        .returning(|_| Ok(user(1, Role::User)));
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
        .returning(|_| Err(CreateUserError::DuplicateUsername));
    assert!(matches!(
        m.services().auth.sign_up("Alice", "long enough").await,
        Err(AppError::Conflict(Conflict::DuplicateUsername))
    ));
}

#[tokio::test]
async fn create_admin_creates_the_admin_role() {
    let mut m = Mocks::default();
    m.hasher.expect_hash().returning(|_| Ok("h".into()));
    m.users
        .expect_create()
        .withf(|n| n.role == Role::Admin)
        .times(1)
        .returning(|_| Ok(user(3, Role::Admin)));
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
    let unknown = m.services().auth.log_in("nobody", "whatever1").await;

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
    let wrong = m.services().auth.log_in("user1", "whatever1").await;

    for outcome in [unknown, wrong] {
        assert!(matches!(
            outcome,
            Err(AppError::Unauthenticated(Unauthenticated::BadCredentials))
        ));
    }
}

#[tokio::test]
async fn log_in_issues_a_token_for_the_right_password() {
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
    let t = m
        .services()
        .auth
        .log_in("user1", "right one")
        .await
        .expect("token");
    assert_eq!(t.token, "jwt");
}

async fn authenticate_with(
    verify: Result<TokenClaims, TokenError>,
    revoked: bool,
    stored: Option<User>,
) -> Result<crate::Session, AppError> {
    let mut m = Mocks::default();
    m.tokens.expect_verify().return_const(verify);
    m.revocations
        .expect_is_revoked()
        .returning(move |_| Ok(revoked));
    m.users.expect_get().returning(move |_| Ok(stored.clone()));
    m.services().auth.authenticate("token").await
}

#[tokio::test]
async fn authenticate_accepts_a_live_token_and_reads_the_role_fresh() {
    let session = authenticate_with(Ok(claims(3, 0)), false, Some(user(3, Role::User)))
        .await
        .expect("session");
    assert_eq!(
        session.actor().role,
        Role::User,
        "a demoted admin is a user at once"
    );
    assert_eq!(session.token_id, "jti-1");
}

#[tokio::test]
async fn authenticate_rejects_bad_expired_revoked_deleted_and_stale_tokens() {
    let cases = [
        (
            authenticate_with(Err(TokenError::Invalid), false, None).await,
            Unauthenticated::InvalidToken,
        ),
        (
            authenticate_with(Err(TokenError::Expired), false, None).await,
            Unauthenticated::ExpiredToken,
        ),
        (
            authenticate_with(Ok(claims(1, 0)), true, Some(user(1, Role::User))).await,
            Unauthenticated::RevokedToken,
        ),
        (
            authenticate_with(Ok(claims(1, 0)), false, None).await,
            Unauthenticated::SessionEnded,
        ),
        (
            // The password changed since: the stored session version moved on.
            authenticate_with(
                Ok(claims(1, 0)),
                false,
                Some(User {
                    session_version: 1,
                    ..user(1, Role::User)
                }),
            )
            .await,
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
async fn log_out_revokes_the_token_until_it_expires() {
    let mut m = Mocks::default();
    m.revocations
        .expect_revoke()
        .withf(|id, until| id == "jti-1" && *until == NOW + Duration::HOUR)
        .times(1)
        .returning(|_, _| Ok(()));
    let session = crate::Session {
        user: user(1, Role::User),
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
