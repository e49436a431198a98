//! The caller's own account.

use super::Svc;
use crate::dto::{OwnUserPatch, UserBody};
use crate::extract::{Authenticated, JsonBody};
use crate::problem::{ApiError, Problem};
use actix_web::HttpResponse;
use app::UserPatch;

#[utoipa::path(
    get, path = "/api/v1/users/me", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Own account", body = UserBody),
        (status = 401, description = "Missing or invalid token", body = Problem),
    )
)]
pub async fn get(svc: Svc, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let user = svc.accounts.own(&who.actor()).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

#[utoipa::path(
    patch, path = "/api/v1/users/me", tag = "account",
    security(("bearer" = [])),
    request_body = OwnUserPatch,
    responses(
        (status = 200, description = "Updated account; a new password ends all earlier tokens", body = UserBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 409, description = "Username taken", body = Problem),
        (status = 422, description = "Username or password breaks a rule", body = Problem),
    )
)]
pub async fn update(
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
    delete, path = "/api/v1/users/me", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; reservations cancelled, confirmed seats freed, tokens ended"),
        (status = 401, description = "Missing or invalid token", body = Problem),
    )
)]
pub async fn delete(svc: Svc, who: Authenticated) -> Result<HttpResponse, ApiError> {
    svc.accounts.delete_own(&who.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}
