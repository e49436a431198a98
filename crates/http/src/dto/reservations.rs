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
    /// First-come hours only: when an hour is short, wait for seats (201, `waitlisted`) instead
    /// of being refused (409). Ignored on approval hours.
    #[serde(default)]
    #[schema(default = false)]
    pub waitlist: bool,
}

impl From<&NewReservationBody> for app::ReservationRequest {
    fn from(b: &NewReservationBody) -> Self {
        Self {
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            seats: b.seats,
            waitlist: b.waitlist,
        }
    }
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

/// `pending` and `confirmed` by approval; first-come reservations are `confirmed` at once or
/// `waitlisted`, and a waiting one becomes `expired` when the booking window closes for it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StatusBody {
    Pending,
    Confirmed,
    Cancelled,
    Waitlisted,
    Expired,
}

mirror_enum!(StatusBody <=> domain::ReservationStatus {
    Pending,
    Confirmed,
    Cancelled,
    Waitlisted,
    Expired,
});

/// How an hour books: `approval` (pending until an admin confirms) or `first_come` (seats at
/// once, or a waitlist).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BookingModeBody {
    Approval,
    FirstCome,
}

mirror_enum!(BookingModeBody <=> domain::BookingMode { Approval, FirstCome });

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
    /// How its hours booked when it was made.
    pub booking_mode: BookingModeBody,
    /// A waiting reservation's place in line for its first hour (1 is next); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub waitlist_position: Option<u32>,
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
            booking_mode: r.mode.into(),
            waitlist_position: r.waitlist_position,
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
