//! Reservation bodies, and the `Idempotency-Key` header of the creates.

use super::{present_time, present_whole, whole};
use domain::Reservation;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

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
