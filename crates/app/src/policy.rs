//! The configurable business parameters, gathered in one value.

use domain::{BookingWindow, ServiceOffset, SlotHorizon, DEFAULT_SLOT_CAPACITY};
use time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingPolicy {
    pub window: BookingWindow,
    pub offset: ServiceOffset,
    pub slot_capacity: u32,
    pub horizon: Duration,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        Self {
            window: BookingWindow::default(),
            offset: ServiceOffset::UTC,
            slot_capacity: DEFAULT_SLOT_CAPACITY,
            horizon: SlotHorizon::DEFAULT,
        }
    }
}
