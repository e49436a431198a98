//! Sign-up, log-in and log-out.

use super::Svc;
use crate::client_addr;
use crate::dto::{Credentials, TokenBody, UserBody};
use crate::extract::{Authenticated, JsonBody};
use crate::problem::{ApiError, Problem};
use crate::security::jwt::DEVICE_TRUST;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{post, web, HttpRequest, HttpResponse};

#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 201, description = "The new user", body = UserBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 409, description = "username_taken (regardless of case)", body = Problem),
        (status = 422, description = "invalid_username or invalid_password: breaks a rule", body = Problem),
    )
)]
#[post("/auth/signup")]
pub async fn sign_up(svc: Svc, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let c: Credentials = body.parse()?;
    let user = svc.auth.sign_up(&c.username, &c.password).await?;
    Ok(HttpResponse::Created().json(UserBody::from(user)))
}

#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, description = "An access token; a browser the account did not trust yet also gets its device cookie", body = TokenBody),
        (status = 401, description = "invalid_credentials: unknown user or wrong password (the same answer)", body = Problem),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 429, description = "too_many_attempts: too many log-ins for this account, address or device; retry after Retry-After seconds", body = Problem),
    )
)]
#[post("/auth/login")]
pub async fn log_in(svc: Svc, req: HttpRequest, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let c: Credentials = body.parse()?;
    let client = client_addr::of(&req).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let device = req.cookie(DEVICE_COOKIE);
    let logged_in = svc
        .auth
        .log_in(
            &c.username,
            &c.password,
            &client,
            device.as_ref().map(Cookie::value),
        )
        .await?;
    let issued = logged_in.token;
    let expires_in = (issued.claims.expires_at - issued.claims.issued_at).whole_seconds();
    let mut answer = HttpResponse::Ok();
    if let Some(device) = logged_in.device {
        let secure = req
            .app_data::<web::Data<CookiePolicy>>()
            .is_some_and(|p| p.secure);
        answer.cookie(device_cookie(device, secure));
    }
    Ok(answer.json(TokenBody {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in,
    }))
}

/// The cookie that marks a browser as one the account has logged in from before.
pub const DEVICE_COOKIE: &str = "device";

/// How the log-in's cookies are set.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// Sent only over HTTPS (production).
    pub secure: bool,
}

/// The device token as a cookie: sent back only to the log-in, never readable by scripts.
fn device_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(DEVICE_COOKIE, token)
        .path("/api/v1/auth/login")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(
            DEVICE_TRUST.whole_seconds(),
        ))
        .finish()
}

#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "The token is revoked"),
    )
)]
#[post("/auth/logout")]
pub async fn log_out(svc: Svc, who: Authenticated) -> Result<HttpResponse, ApiError> {
    svc.auth.log_out(&who.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
