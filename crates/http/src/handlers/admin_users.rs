//! Admin user management.

use super::Svc;
use crate::dto::{AdminUserPatch, PageBody, UserBody};
use crate::extract::{id, query, Admin, JsonBody, PageQuery};
use crate::problem::{ApiError, Problem};
use actix_web::{web, HttpRequest, HttpResponse};
use app::UserPatch;
use domain::UserId;

#[utoipa::path(
    get, path = "/api/v1/admin/users", tag = "admin",
    security(("bearer" = [])),
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "Page number, 1..=1000000 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Items per page, 1..=200 (default 50)"),
    ),
    responses(
        (status = 200, description = "Users by id", body = PageBody<UserBody>),
        (status = 400, description = "Bad paging parameters", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    )
)]
pub async fn list(svc: Svc, admin: Admin, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let users = svc.accounts.list(&admin.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<UserBody>::from_page(users)))
}

#[utoipa::path(
    get, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserBody),
        (status = 400, description = "Bad id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
pub async fn get(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = svc.accounts.get(&admin.actor(), UserId(id(&path)?)).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

#[utoipa::path(
    patch, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = AdminUserPatch,
    responses(
        (status = 200, description = "The updated user", body = UserBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 409, description = "Username taken", body = Problem),
        (status = 422, description = "Username or password breaks a rule", body = Problem),
    )
)]
pub async fn update(
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
    delete, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted; reservations cancelled, confirmed seats freed, tokens ended"),
        (status = 400, description = "Bad id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
pub async fn delete(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.accounts
        .delete(&admin.actor(), UserId(id(&path)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
