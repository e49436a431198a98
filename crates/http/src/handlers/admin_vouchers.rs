//! Admin management of books and vouchers.

use super::Svc;
use crate::dto::{
    BookBody, ClaimBody, NewBookBody, NewVoucherBody, PageBody, RedemptionBody, VoucherBody,
    VoucherPatchBody,
};
use crate::extract::{id, query, Admin, JsonBody, PageQuery};
use crate::problem::{ApiError, Problem};
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use app::VoucherInput;
use domain::voucher::VoucherId;

#[utoipa::path(
    tag = "admin",
    request_body = NewBookBody,
    responses(
        (status = 201, description = "The book", body = BookBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 422, description = "invalid_book: the title, author or cover URL breaks a rule", body = Problem),
    )
)]
#[post("/admin/books")]
pub async fn admin_create_book(
    svc: Svc,
    admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
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
    tag = "admin",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Books by id", body = PageBody<BookBody>),
    )
)]
#[get("/admin/books")]
pub async fn admin_list_books(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let books = svc.vouchers.list_books(&admin.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<BookBody>::from_page(books)))
}

#[utoipa::path(
    tag = "admin",
    request_body = NewVoucherBody,
    responses(
        (status = 201, description = "The voucher", body = VoucherBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 404, description = "No such book", body = Problem),
        (status = 409, description = "duplicate_code: another voucher has this code", body = Problem),
        (status = 422, description = "invalid_voucher: the code, quantity or window breaks a rule", body = Problem),
    )
)]
#[post("/admin/vouchers")]
pub async fn admin_create_voucher(
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
    tag = "admin",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Vouchers, newest first", body = PageBody<VoucherBody>),
    )
)]
#[get("/admin/vouchers")]
pub async fn admin_list_vouchers(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = query::<PageQuery>(&req)?.request()?;
    let list = svc.vouchers.list_vouchers(&admin.actor(), page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<VoucherBody>::from_page(list)))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Voucher id")),
    request_body = VoucherPatchBody,
    responses(
        (status = 200, description = "The voucher", body = VoucherBody),
        (status = 400, description = "Malformed body or id", body = Problem),
        (status = 404, description = "No such voucher", body = Problem),
        (status = 422, description = "invalid_voucher: the quantity shrinks, or a bad window", body = Problem),
    )
)]
#[patch("/admin/vouchers/{id}")]
pub async fn admin_update_voucher(
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
    tag = "admin",
    params(
        ("id" = i64, Path, description = "Voucher id"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "Who claimed, oldest first", body = PageBody<ClaimBody>),
        (status = 400, description = "Bad id or paging", body = Problem),
        (status = 404, description = "No such voucher", body = Problem),
    )
)]
#[get("/admin/vouchers/{id}/claims")]
pub async fn admin_list_voucher_claims(
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
    tag = "admin",
    request_body = RedemptionBody,
    responses(
        (status = 200, description = "The claim, now used", body = ClaimBody),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 404, description = "No claim has this code", body = Problem),
        (status = 409, description = "already_used: the code was redeemed before", body = Problem),
        (status = 422, description = "invalid_redemption_code: not 16 letters and digits", body = Problem),
    )
)]
#[post("/admin/redemptions")]
pub async fn admin_redeem_code(
    svc: Svc,
    admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let b: RedemptionBody = body.parse()?;
    let claim = svc.vouchers.redeem(&admin.actor(), &b.code).await?;
    Ok(HttpResponse::Ok().json(ClaimBody::from(claim)))
}
