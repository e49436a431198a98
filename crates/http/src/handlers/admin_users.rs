//! Admin user management.

use super::Svc;
use crate::dto::{AdminUserPatch, PageBody, UserBody};
use crate::extract::{id, query, Admin, JsonBody, PageQuery};
use crate::problem::{ApiError, Problem};
use actix_web::{delete, get, patch, web, HttpRequest, HttpResponse};
use app::UserPatch;
use domain::UserId;

#[utoipa::path(
    tag = "admin",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Users by id", body = PageBody<UserBody>),
        (status = 400, description = "Bad paging parameters", body = Problem),
    )
)]
#[get("/admin/users")]
pub async fn admin_list_users(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let users = svc.accounts.list(&admin.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<UserBody>::from_page(users)))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[get("/admin/users/{id}")]
pub async fn admin_get_user(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = svc.accounts.get(&admin.actor(), UserId(id(&path)?)).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "User id")),
    request_body = AdminUserPatch,
    responses(
        (status = 200, description = "The updated user", body = UserBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 409, description = "username_taken (regardless of case)", body = Problem),
        (status = 422, description = "invalid_username or invalid_password: breaks a rule", body = Problem),
    )
)]
#[patch("/admin/users/{id}")]
pub async fn admin_update_user(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let user_id = UserId(id(&path)?);
    let patch: AdminUserPatch = body.parse()?;
    let user = svc
        .accounts
        .update(
            &admin.actor(),
            user_id,
            UserPatch {
                username: patch.username,
                password: patch.password,
                role: patch.role.map(Into::into),
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted; reservations cancelled, confirmed seats freed, tokens ended"),
        (status = 400, description = "Bad id", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[delete("/admin/users/{id}")]
pub async fn admin_delete_user(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.accounts
        .delete(&admin.actor(), UserId(id(&path)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
