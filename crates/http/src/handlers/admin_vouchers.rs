//! Admin management of books and vouchers.

use super::Svc;
use crate::dto::{
    BookBody, ClaimBody, NewBookBody, NewVoucherBody, PageBody, RedemptionBody, VoucherBody,
    VoucherPatchBody,
};
use crate::extract::{id, query, Admin, JsonBody, PageQuery};
use crate::problem::{ApiError, Problem};
use actix_web::{web, HttpRequest, HttpResponse};
use app::VoucherInput;
use domain::voucher::VoucherId;

#[utoipa::path(
    post, path = "/api/v1/admin/books", tag = "admin",
    security(("bearer" = [])),
    request_body = NewBookBody,
    responses(
        (status = 201, description = "The book", body = BookBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 422, description = "Title, author or cover URL breaks a rule", body = Problem),
    )
)]
pub async fn create_book(svc: Svc, admin: Admin, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let b: NewBookBody = body.parse()?;
    let book = svc
        .vouchers
        .create_book(
            &admin.actor(),
            &b.title,
            b.author.as_deref(),
            b.cover_url.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Created().json(BookBody::from(book)))
}

#[utoipa::path(
    get, path = "/api/v1/admin/books", tag = "admin",
    security(("bearer" = [])),
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "Page number, 1..=1000000 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Items per page, 1..=200 (default 50)"),
    ),
    responses(
        (status = 200, description = "Books by id", body = PageBody<BookBody>),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    )
)]
pub async fn list_books(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let books = svc.vouchers.list_books(&admin.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<BookBody>::from_page(books)))
}

#[utoipa::path(
    post, path = "/api/v1/admin/vouchers", tag = "admin",
    security(("bearer" = [])),
    request_body = NewVoucherBody,
    responses(
        (status = 201, description = "The voucher", body = VoucherBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such book", body = Problem),
        (status = 409, description = "Duplicate code", body = Problem),
        (status = 422, description = "Code, quantity or window breaks a rule", body = Problem),
    )
)]
pub async fn create_voucher(
    svc: Svc,
    admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let b: NewVoucherBody = body.parse()?;
    let v = svc
        .vouchers
        .create_voucher(
            &admin.actor(),
            VoucherInput {
                book_id: b.book_id,
                code: b.code,
                quantity: b.quantity,
                opens_at: b.opens_at,
                closes_at: b.closes_at,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(VoucherBody::from(v)))
}

#[utoipa::path(
    get, path = "/api/v1/admin/vouchers", tag = "admin",
    security(("bearer" = [])),
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "Page number, 1..=1000000 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Items per page, 1..=200 (default 50)"),
    ),
    responses(
        (status = 200, description = "Vouchers, newest first", body = PageBody<VoucherBody>),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    )
)]
pub async fn list_vouchers(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let list = svc.vouchers.list_vouchers(&admin.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<VoucherBody>::from_page(list)))
}

#[utoipa::path(
    patch, path = "/api/v1/admin/vouchers/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Voucher id")),
    request_body = VoucherPatchBody,
    responses(
        (status = 200, description = "The voucher", body = VoucherBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such voucher", body = Problem),
        (status = 422, description = "Quantity shrinks, or a bad window", body = Problem),
    )
)]
pub async fn update_voucher(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let vid = VoucherId(id(&path)?);
    let patch: VoucherPatchBody = body.parse()?;
    let v = svc
        .vouchers
        .update_voucher(&admin.actor(), vid, patch.into())
        .await?;
    Ok(HttpResponse::Ok().json(VoucherBody::from(v)))
}

#[utoipa::path(
    get, path = "/api/v1/admin/vouchers/{id}/claims", tag = "admin",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Voucher id"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "Page number, 1..=1000000 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Items per page, 1..=200 (default 50)"),
    ),
    responses(
        (status = 200, description = "Who claimed, oldest first", body = PageBody<ClaimBody>),
        (status = 400, description = "Bad id or paging", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such voucher", body = Problem),
    )
)]
pub async fn claims(
    svc: Svc,
    admin: Admin,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let vid = VoucherId(id(&path)?);
    let page = query::<PageQuery>(&req)?.request()?;
    let list = svc
        .vouchers
        .voucher_claims(&admin.actor(), vid, page)
        .await?;
    Ok(HttpResponse::Ok().json(PageBody::<ClaimBody>::from_page(list)))
}

#[utoipa::path(
    post, path = "/api/v1/admin/redemptions", tag = "admin",
    security(("bearer" = [])),
    request_body = RedemptionBody,
    responses(
        (status = 200, description = "The claim, now used", body = ClaimBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No claim has this code", body = Problem),
        (status = 409, description = "already_used: the code was redeemed before", body = Problem),
        (status = 422, description = "invalid_redemption_code: not 16 letters and digits", body = Problem),
    )
)]
pub async fn redeem(svc: Svc, admin: Admin, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let b: RedemptionBody = body.parse()?;
    let claim = svc.vouchers.redeem(&admin.actor(), &b.code).await?;
    Ok(HttpResponse::Ok().json(ClaimBody::from(claim)))
}
