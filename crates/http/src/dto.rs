//! Request and response bodies. Separate from domain types on purpose: the wire format is a
//! contract, the domain is free to change.
//!
//! Request bodies reject unknown fields, and optional (PATCH) fields reject `null`: a field is
//! either absent (keep the value) or present with a value.

use domain::{Reservation, User};
use ports::Slot;
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// `Some(value)` when present; `null` is an error, not "absent".
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A whole number, written `5` or `5.0`: JSON Schema's `integer` admits both.
fn whole<'de, D>(d: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        // Beyond 2^53 a float no longer names one whole number.
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => Ok(f as i64),
        _ => Err(D::Error::custom(format!(
            "expected a whole number, got {n}"
        ))),
    }
}

fn present_whole<'de, D>(d: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    whole(d).map(Some)
}

fn present_time<'de, D>(d: D) -> Result<Option<OffsetDateTime>, D::Error>
where
    D: Deserializer<'de>,
{
    time::serde::rfc3339::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 3 to 150 characters: ASCII letters, digits and `_ . @ + -`; unique regardless of case.
    #[schema(
        example = "alice",
        min_length = 3,
        max_length = 150,
        pattern = r"^[A-Za-z0-9_.@+-]+$"
    )]
    pub username: String,
    /// 8 to 128 characters.
    #[schema(
        example = "correct horse battery",
        min_length = 8,
        max_length = 128,
        pattern = r"^[^\x00]*$"
    )]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub id: i64,
    pub username: String,
    #[schema(example = "user")]
    pub role: RoleBody,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            username: u.username.as_str().to_owned(),
            role: u.role.into(),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoleBody {
    User,
    Admin,
}

impl From<domain::Role> for RoleBody {
    fn from(r: domain::Role) -> Self {
        match r {
            domain::Role::User => RoleBody::User,
            domain::Role::Admin => RoleBody::Admin,
        }
    }
}

impl From<RoleBody> for domain::Role {
    fn from(r: RoleBody) -> Self {
        match r {
            RoleBody::User => domain::Role::User,
            RoleBody::Admin => domain::Role::Admin,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnUserPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(
        nullable = false,
        min_length = 3,
        max_length = 150,
        pattern = r"^[A-Za-z0-9_.@+-]+$"
    )]
    pub username: Option<String>,
    /// 8 to 128 characters; a new password ends every earlier token.
    #[serde(default, deserialize_with = "present")]
    #[schema(
        nullable = false,
        min_length = 8,
        max_length = 128,
        pattern = r"^[^\x00]*$"
    )]
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(
        nullable = false,
        min_length = 3,
        max_length = 150,
        pattern = r"^[A-Za-z0-9_.@+-]+$"
    )]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(
        nullable = false,
        min_length = 8,
        max_length = 128,
        pattern = r"^[^\x00]*$"
    )]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub role: Option<RoleBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotBody {
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub capacity: u32,
    pub confirmed: u32,
    pub remaining: u32,
}

impl From<Slot> for SlotBody {
    fn from(s: Slot) -> Self {
        Self {
            starts_at: s.starts_at,
            ends_at: s.ends_at(),
            capacity: s.load.capacity(),
            confirmed: s.load.confirmed(),
            remaining: s.load.remaining(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DaySlotsBody {
    #[schema(value_type = String, format = Date, example = "2026-12-01")]
    pub date: String,
    pub slots: Vec<SlotBody>,
}

impl From<app::DaySlots> for DaySlotsBody {
    fn from(d: app::DaySlots) -> Self {
        Self {
            date: d.date.to_string(),
            slots: d.slots.into_iter().map(SlotBody::from).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReservationBody {
    /// RFC 3339 with an offset, on the hour in the service offset, at least 72 hours ahead.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(example = "2026-12-01T09:00:00Z")]
    pub starts_at: OffsetDateTime,
    /// RFC 3339 with an offset, on the hour, after `starts_at`, at most 90 days ahead.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(example = "2026-12-01T11:00:00Z")]
    pub ends_at: OffsetDateTime,
    #[serde(deserialize_with = "whole")]
    #[schema(example = 20, minimum = 1, maximum = 50000)]
    pub seats: i64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationPatchBody {
    #[serde(default, deserialize_with = "present_time")]
    #[schema(nullable = false, value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "present_time")]
    #[schema(nullable = false, value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "present_whole")]
    #[schema(nullable = false, minimum = 1, maximum = 50000)]
    pub seats: Option<i64>,
}

impl From<ReservationPatchBody> for app::ReservationPatch {
    fn from(b: ReservationPatchBody) -> Self {
        Self {
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            seats: b.seats,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StatusBody {
    Pending,
    Confirmed,
    Cancelled,
}

impl From<domain::ReservationStatus> for StatusBody {
    fn from(s: domain::ReservationStatus) -> Self {
        match s {
            domain::ReservationStatus::Pending => StatusBody::Pending,
            domain::ReservationStatus::Confirmed => StatusBody::Confirmed,
            domain::ReservationStatus::Cancelled => StatusBody::Cancelled,
        }
    }
}

impl From<StatusBody> for domain::ReservationStatus {
    fn from(s: StatusBody) -> Self {
        match s {
            StatusBody::Pending => domain::ReservationStatus::Pending,
            StatusBody::Confirmed => domain::ReservationStatus::Confirmed,
            StatusBody::Cancelled => domain::ReservationStatus::Cancelled,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationBody {
    pub id: i64,
    pub user_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub seats: u32,
    pub status: StatusBody,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Reservation> for ReservationBody {
    fn from(r: Reservation) -> Self {
        Self {
            id: r.id.0,
            user_id: r.user_id.0,
            starts_at: r.range.start(),
            ends_at: r.range.end(),
            seats: r.seats.get(),
            status: r.status.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl<T> PageBody<T> {
    pub fn from_page<D>(page: domain::Page<D>) -> Self
    where
        T: From<D>,
    {
        Self {
            items: page.items.into_iter().map(T::from).collect(),
            page: page.request.page(),
            per_page: page.request.per_page(),
            total: page.total,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Per dependency: "ok" or "unavailable".
    #[schema(value_type = Object)]
    pub checks: std::collections::BTreeMap<String, &'static str>,
}

// ---- Voucher drop ----

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

/// One admin action from the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The admin who acted; null for the command line (`api-server create-admin`).
    pub actor_id: Option<i64>,
    /// The address the admin's request came from (behind trusted proxies, the client's as they
    /// forwarded it); null for the command line.
    pub client_address: Option<String>,
    /// For example `reservation.confirmed`, `user.changed`, `voucher.created`.
    pub action: String,
    /// reservation, user, book, voucher or claim.
    pub target_kind: String,
    pub target_id: i64,
    /// Each changed field with its value before and after:
    /// `{"status": {"before": "pending", "after": "confirmed"}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<domain::audit::AuditEntry> for AuditEntryBody {
    fn from(e: domain::audit::AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_id: e.actor.map(|a| a.0),
            client_address: e.client,
            action: e.action.as_str().to_owned(),
            target_kind: e.action.target().as_str().to_owned(),
            target_id: e.target_id,
            changes: serde_json::from_str(&e.changes_json).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The optional `Idempotency-Key` request header of the user-facing creates.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes a retry safe: the same key and the same request from the same user within 24 h
    /// gets the first answer again, without the work being done twice. 1 to 255 visible ASCII
    /// characters, for example a UUID.
    #[serde(rename = "Idempotency-Key")]
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    pub idempotency_key: Option<String>,
}

/// The kinds of record the audit trail names (documentation of the `target_kind` filter).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditTargetKindBody {
    Reservation,
    User,
    Book,
    Voucher,
    Claim,
}

/// Every action the audit trail records (documentation of the `action` filter).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum AuditActionBody {
    #[serde(rename = "reservation.confirmed")]
    ReservationConfirmed,
    #[serde(rename = "reservation.edited")]
    ReservationEdited,
    #[serde(rename = "reservation.cancelled")]
    ReservationCancelled,
    #[serde(rename = "user.changed")]
    UserChanged,
    #[serde(rename = "user.deleted")]
    UserDeleted,
    #[serde(rename = "user.admin_created")]
    AdminCreated,
    #[serde(rename = "book.created")]
    BookCreated,
    #[serde(rename = "voucher.created")]
    VoucherCreated,
    #[serde(rename = "voucher.changed")]
    VoucherChanged,
    #[serde(rename = "claim.redeemed")]
    ClaimRedeemed,
}
