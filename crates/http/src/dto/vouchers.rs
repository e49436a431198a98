//! The voucher drop: books, vouchers, the public event list, claims and redemptions.

use super::{present, present_time, present_whole, whole};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct BookBody {
    pub id: i64,
    pub title: String,
    pub author: Option<String>,
    pub cover_url: Option<String>,
}

impl From<domain::voucher::Book> for BookBody {
    fn from(b: domain::voucher::Book) -> Self {
        Self {
            id: b.id.0,
            title: b.title,
            author: b.author,
            cover_url: b.cover_url,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBookBody {
    /// 1 to 300 characters, no NUL.
    #[schema(
        example = "The Left Hand of Darkness",
        min_length = 1,
        max_length = 300,
        pattern = r"^[^\x00]*$"
    )]
    pub title: String,
    /// At most 200 characters, no NUL.
    #[serde(default, deserialize_with = "present")]
    #[schema(
        nullable = false,
        example = "Ursula K. Le Guin",
        max_length = 200,
        pattern = r"^[^\x00]*$"
    )]
    pub author: Option<String>,
    /// An http(s) URL of at most 2000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(
        nullable = false,
        example = "https://example.org/covers/lhod.jpg",
        max_length = 2000,
        pattern = r"^https?://[^\x00]+$"
    )]
    pub cover_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VoucherStatusBody {
    Active,
    SoldOut,
    Closed,
}

impl From<domain::voucher::VoucherStatus> for VoucherStatusBody {
    fn from(s: domain::voucher::VoucherStatus) -> Self {
        match s {
            domain::voucher::VoucherStatus::Active => Self::Active,
            domain::voucher::VoucherStatus::SoldOut => Self::SoldOut,
            domain::voucher::VoucherStatus::Closed => Self::Closed,
        }
    }
}

/// The admin's switch: only these two can be set; `sold_out` follows from `remaining`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VoucherSwitchBody {
    Active,
    Closed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherBody {
    pub id: i64,
    /// The campaign name: internal, shown to admins only. Claimers get codes of their own.
    pub code: String,
    pub book: BookBody,
    pub quantity: u32,
    pub remaining: u32,
    pub status: VoucherStatusBody,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
}

impl From<domain::voucher::Voucher> for VoucherBody {
    fn from(v: domain::voucher::Voucher) -> Self {
        Self {
            id: v.id.0,
            status: v.status().into(),
            code: v.code.as_str().to_owned(),
            quantity: v.quantity,
            remaining: v.remaining,
            opens_at: v.window.opens_at,
            closes_at: v.window.closes_at,
            book: v.book.into(),
        }
    }
}

/// A live voucher as the public sees it: no campaign code (each claimer gets a code of their
/// own).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    pub id: i64,
    pub book: BookBody,
    pub quantity: u32,
    pub remaining: u32,
    pub status: VoucherStatusBody,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
}

impl From<domain::voucher::Voucher> for EventBody {
    fn from(v: domain::voucher::Voucher) -> Self {
        Self {
            id: v.id.0,
            status: v.status().into(),
            quantity: v.quantity,
            remaining: v.remaining,
            opens_at: v.window.opens_at,
            closes_at: v.window.closes_at,
            book: v.book.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsBody {
    pub items: Vec<EventBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVoucherBody {
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1)]
    pub book_id: i64,
    /// 3 to 64 characters: ASCII letters, digits, `-` and `_`.
    #[schema(
        example = "LHOD-2026",
        min_length = 3,
        max_length = 64,
        pattern = r"^[A-Za-z0-9_-]+$"
    )]
    pub code: String,
    #[serde(deserialize_with = "whole")]
    #[schema(example = 200, minimum = 1, maximum = 1000000)]
    pub quantity: i64,
    #[serde(default, deserialize_with = "present_time")]
    #[schema(nullable = false, value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
    /// After `opens_at` when both are given; both within the years 1970 to 9998.
    #[serde(default, deserialize_with = "present_time")]
    #[schema(nullable = false, value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoucherPatchBody {
    /// May only grow; a sold-out voucher with room again is live again.
    #[serde(default, deserialize_with = "present_whole")]
    #[schema(nullable = false, minimum = 1, maximum = 1000000)]
    pub quantity: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<VoucherSwitchBody>,
    #[serde(default, deserialize_with = "present_time")]
    #[schema(nullable = false, value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
    /// After `opens_at` when both are given; both within the years 1970 to 9998.
    #[serde(default, deserialize_with = "present_time")]
    #[schema(nullable = false, value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
}

impl From<VoucherPatchBody> for app::VoucherPatch {
    fn from(b: VoucherPatchBody) -> Self {
        Self {
            quantity: b.quantity,
            closed: b.status.map(|s| s == VoucherSwitchBody::Closed),
            opens_at: b.opens_at,
            closes_at: b.closes_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimBody {
    pub id: i64,
    pub voucher_id: i64,
    pub user_id: i64,
    /// This claim's own redemption code: shown to its claimer and to admins only.
    #[schema(example = "K7QM-3XPA-9TRD-W2HF")]
    pub code: String,
    pub book: BookBody,
    #[serde(with = "time::serde::rfc3339")]
    pub claimed_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub used_at: Option<OffsetDateTime>,
}

impl From<domain::voucher::Claim> for ClaimBody {
    fn from(c: domain::voucher::Claim) -> Self {
        Self {
            id: c.id.0,
            voucher_id: c.voucher_id.0,
            user_id: c.user_id.0,
            code: c.code.as_str().to_owned(),
            book: c.book.into(),
            claimed_at: c.claimed_at,
            used_at: c.used_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionBody {
    /// A claim's redemption code as the claimer shows it; case, spaces and dashes do not
    /// matter.
    #[schema(
        example = "K7QM-3XPA-9TRD-W2HF",
        min_length = 16,
        max_length = 64,
        pattern = r"^[0-9A-Za-z -]+$"
    )]
    pub code: String,
}
