use super::*;
use crate::error::{AppError, Invalid};
use crate::UserPatch;
use domain::audit::{AuditAction, FieldChange};
use domain::PageRequest;
use ports::{DeleteUserError, UserChanges};

#[tokio::test]
async fn user_cannot_reach_admin_user_management() {
    // No expectations: reaching storage would fail the test.
    let s = Mocks::default().services().accounts;
    let id = UserId(9);
    assert!(matches!(
        s.list(&OWNER, PageRequest::default()).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(s.get(&OWNER, id).await, Err(AppError::Forbidden)));
    assert!(matches!(
        s.update(&OWNER, id, UserPatch::default()).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        s.delete(&OWNER, id).await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn own_update_never_changes_the_role() {
    let mut m = Mocks::default();
    m.users
        .expect_update()
        .withf(|id, c, note| {
            *id == OWNER.user_id && c.role.is_none() && c.username.is_some() && note.is_none()
        })
        .times(1)
        .returning(|_, _, _| Ok(user(1, Role::User)));
    m.expect_session_push(1);
    let patch = UserPatch {
        username: Some("renamed".into()),
        password: None,
        role: Some(Role::Admin),
    };
    let u = m
        .services()
        .accounts
        .update_own(&OWNER, patch)
        .await
        .expect("ok");
    assert_eq!(u.role, Role::User);
}

#[tokio::test]
async fn password_change_stores_a_new_hash() {
    let mut m = Mocks::default();
    m.hasher
        .expect_hash()
        .times(1)
        .returning(|_| Ok("new-hash".into()));
    m.users
        .expect_update()
        .withf(|_, c, _| {
            *c == UserChanges {
                username: None,
                password_hash: Some("new-hash".into()),
                role: None,
            }
        })
        .times(1)
        .returning(|_, _, _| Ok(user(1, Role::User)));
    // The new session version must reach the cache before the answer.
    m.expect_session_push(1);
    let patch = UserPatch {
        password: Some("a brand new one".into()),
        ..UserPatch::default()
    };
    m.services()
        .accounts
        .update_own(&OWNER, patch)
        .await
        .expect("ok");
}

#[tokio::test]
async fn invalid_patch_is_rejected_before_hashing() {
    let s = Mocks::default().services().accounts;
    let patch = UserPatch {
        username: Some("x".into()),
        password: Some("valid password".into()),
        role: None,
    };
    assert!(matches!(
        s.update_own(&OWNER, patch).await,
        Err(AppError::Invalid(Invalid::Username(_)))
    ));
}

#[tokio::test]
async fn admin_may_change_a_role_and_the_change_is_audited() {
    let mut m = Mocks::default();
    m.users
        .expect_get()
        .withf(|id| id.0 == 9)
        .returning(|_| Ok(Some(user(9, Role::User))));
    m.users
        .expect_update()
        .withf(|id, c, note| {
            let audited = note.as_ref().is_some_and(|n| {
                n.actor == Some(ADMIN.user_id)
                    && n.action == AuditAction::UserChanged
                    && n.target_id == Some(9)
                    && n.changes
                        == [FieldChange {
                            field: "role",
                            before: "user".into(),
                            after: "admin".into(),
                        }]
            });
            id.0 == 9 && c.role == Some(Role::Admin) && audited
        })
        .times(1)
        .returning(|_, _, _| Ok(user(9, Role::Admin)));
    m.expect_session_push(9);
    let patch = UserPatch {
        role: Some(Role::Admin),
        ..UserPatch::default()
    };
    m.services()
        .accounts
        .update(&ADMIN, UserId(9), patch)
        .await
        .expect("promoted");
}

#[tokio::test]
async fn deleting_an_unknown_user_is_not_found() {
    let mut m = Mocks::default();
    m.users
        .expect_delete()
        .returning(|_, _, _| Err(DeleteUserError::NotFound));
    assert!(matches!(
        m.services().accounts.delete(&ADMIN, UserId(404)).await,
        Err(AppError::NotFound("user"))
    ));
}

#[tokio::test]
async fn deleting_own_account_goes_through_the_repository_with_now() {
    let mut m = Mocks::default();
    m.users
        .expect_delete()
        .withf(|id, release, note| {
            *id == OWNER.user_id
                && release.now == NOW
                && release.bookable_from == NOW + Duration::days(3)
                && note.is_none()
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    m.expect_session_push(1);
    // The freed seats may be on any date.
    m.cache
        .expect_all_days_changed()
        .times(1)
        .returning(|| Ok(()));
    m.services()
        .accounts
        .delete_own(&OWNER)
        .await
        .expect("deleted");
}
