//! Sign-up, log-in and log-out.

use super::Svc;
use crate::dto::{Credentials, TokenBody, UserBody};
use crate::extract::{Authenticated, JsonBody};
use crate::problem::{ApiError, Problem};
use actix_web::{HttpRequest, HttpResponse};

#[utoipa::path(
    post, path = "/api/v1/auth/signup", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 201, description = "The new user", body = UserBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 409, description = "Username taken (case-insensitive)", body = Problem),
        (status = 422, description = "Username or password breaks a rule", body = Problem),
    )
)]
pub async fn sign_up(svc: Svc, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let c: Credentials = body.parse()?;
    let user = svc.auth.sign_up(&c.username, &c.password).await?;
    Ok(HttpResponse::Created().json(UserBody::from(user)))
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, description = "An access token", body = TokenBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Unknown user or wrong password (same answer)", body = Problem),
        (status = 429, description = "Too many failed log-ins for this account or address; retry after Retry-After seconds", body = Problem),
    )
)]
pub async fn log_in(svc: Svc, req: HttpRequest, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let c: Credentials = body.parse()?;
    // The peer's address: forwarded headers are not trusted (they are the client's to write).
    let client = req
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    let issued = svc.auth.log_in(&c.username, &c.password, &client).await?;
    let expires_in = (issued.claims.expires_at - issued.claims.issued_at).whole_seconds();
    Ok(HttpResponse::Ok().json(TokenBody {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in,
    }))
}

#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The token is revoked"),
        (status = 401, description = "Missing or invalid token", body = Problem),
    )
)]
pub async fn log_out(svc: Svc, who: Authenticated) -> Result<HttpResponse, ApiError> {
    svc.auth.log_out(&who.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
