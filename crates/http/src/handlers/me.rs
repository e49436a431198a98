//! The caller's own account.

use super::Svc;
use crate::dto::{OwnUserPatch, UserBody};
use crate::extract::{Authenticated, JsonBody};
use crate::problem::{ApiError, Problem};
use actix_web::HttpResponse;
use actix_web::{delete, get, patch};
use app::UserPatch;

#[utoipa::path(
    tag = "account",
    responses(
        (status = 200, description = "Own account", body = UserBody),
    )
)]
#[get("/users/me")]
pub async fn get_own_account(svc: Svc, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let user = svc.accounts.own(&who.actor()).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

#[utoipa::path(
    tag = "account",
    request_body = OwnUserPatch,
    responses(
        (status = 200, description = "Updated account; a new password ends all earlier tokens", body = UserBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 409, description = "username_taken (regardless of case)", body = Problem),
        (status = 422, description = "invalid_username or invalid_password: breaks a rule", body = Problem),
    )
)]
#[patch("/users/me")]
pub async fn update_own_account(
    svc: Svc,
    who: Authenticated,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let patch: OwnUserPatch = body.parse()?;
    let user = svc
        .accounts
        .update_own(
            &who.actor(),
            UserPatch {
                username: patch.username,
                password: patch.password,
                role: None,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

#[utoipa::path(
    tag = "account",
    responses(
        (status = 204, description = "Deleted; reservations cancelled, confirmed seats freed, tokens ended"),
    )
)]
#[delete("/users/me")]
pub async fn delete_own_account(svc: Svc, who: Authenticated) -> Result<HttpResponse, ApiError> {
    svc.accounts.delete_own(&who.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}
