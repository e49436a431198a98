//! Request and response bodies, one module per feature area (as `handlers/`). Separate from
//! domain types on purpose: the wire format is a contract, the domain is free to change.
//!
//! Request bodies reject unknown fields, and optional (PATCH) fields reject `null`: a field is
//! either absent (keep the value) or present with a value.

/// Generates both conversions between a body enum and the domain's, variant by variant.
macro_rules! mirror_enum {
    ($body:ident <=> $domain:ty { $($variant:ident),+ $(,)? }) => {
        impl From<$domain> for $body {
            fn from(v: $domain) -> Self {
                type Domain = $domain;
                match v {
                    $(Domain::$variant => Self::$variant,)+
                }
            }
        }

        impl From<$body> for $domain {
            fn from(v: $body) -> Self {
                match v {
                    $($body::$variant => Self::$variant,)+
                }
            }
        }
    };
}

mod accounts;
mod audit;
mod auth;
mod health;
mod reservations;
mod slots;
mod vouchers;

pub use accounts::{AdminUserPatch, OwnUserPatch, RoleBody, UserBody};
pub use audit::{AuditActionBody, AuditEntryBody, AuditTargetKindBody};
pub use auth::{Credentials, TokenBody};
pub use health::HealthBody;
pub use reservations::{
    BookingModeBody, IdempotencyKeyHeader, NewReservationBody, ReservationBody,
    ReservationPatchBody, StatusBody,
};
pub use slots::{DaySlotsBody, SlotBody, SlotModeBody, SlotModeChangedBody};
pub use vouchers::{
    BookBody, ClaimBody, EventBody, EventsBody, NewBookBody, NewVoucherBody, RedemptionBody,
    VoucherBody, VoucherPatchBody, VoucherStatusBody, VoucherSwitchBody,
};

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::{ObjectBuilder, Type};
use utoipa::ToSchema;

/// `Some(value)` when present; `null` is an error, not "absent".
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A whole number, written `5` or `5.0`: JSON Schema's `integer` admits both.
pub(crate) fn whole<'de, D>(d: D) -> Result<i64, D::Error>
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

pub(crate) fn present_whole<'de, D>(d: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    whole(d).map(Some)
}

pub(crate) fn present_time<'de, D>(d: D) -> Result<Option<OffsetDateTime>, D::Error>
where
    D: Deserializer<'de>,
{
    time::serde::rfc3339::deserialize(d).map(Some)
}

/// The schema of a username, from the domain's rule (`domain::Username`).
pub(crate) fn username_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(domain::Username::MIN_LEN))
        .max_length(Some(domain::Username::MAX_LEN))
        .pattern(Some(r"^[A-Za-z0-9_.@+-]+$"))
        .examples(["alice"])
}

/// The schema of a password, from the domain's rule (`domain::Password`).
pub(crate) fn password_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(domain::Password::MIN_CHARS))
        .max_length(Some(domain::Password::MAX_CHARS))
        .pattern(Some(r"^[^\x00]*$"))
        .examples(["correct horse battery"])
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
