//! The slots of a date.

use ports::Slot;
use serde::Serialize;
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
