//! The slots of a date.

use super::BookingModeBody;
use domain::BookingMode;
use ports::Slot;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotBody {
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub capacity: u32,
    pub confirmed: u32,
    pub remaining: u32,
    pub booking_mode: BookingModeBody,
    /// First-come hours only: the waiting reservations that cover the hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waitlisted: Option<u32>,
}

impl From<Slot> for SlotBody {
    fn from(s: Slot) -> Self {
        Self {
            starts_at: s.starts_at,
            ends_at: s.ends_at(),
            capacity: s.load.capacity(),
            confirmed: s.load.confirmed(),
            remaining: s.load.remaining(),
            booking_mode: s.mode.into(),
            waitlisted: (s.mode == BookingMode::FirstCome).then_some(s.waitlisted),
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

/// `PATCH /admin/exam-slots`: the hours starting at or after `from` and before `to`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotModeBody {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(example = "2026-12-01T00:00:00Z")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(example = "2026-12-02T00:00:00Z")]
    pub to: OffsetDateTime,
    pub booking_mode: BookingModeBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotModeChangedBody {
    /// How many hours changed mode (hours already in that mode are not counted).
    pub updated: u64,
}
