//! The configurable business parameters, gathered in one value.

use domain::{BookingMode, BookingWindow, ServiceOffset, SlotHorizon, DEFAULT_SLOT_CAPACITY};
use time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingPolicy {
    pub window: BookingWindow,
    pub offset: ServiceOffset,
    pub slot_capacity: u32,
    pub horizon: Duration,
    /// How slots created from now on book.
    pub default_mode: BookingMode,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        Self {
            window: BookingWindow::default(),
            offset: ServiceOffset::UTC,
            slot_capacity: DEFAULT_SLOT_CAPACITY,
            horizon: SlotHorizon::DEFAULT,
            default_mode: BookingMode::Approval,
        }
    }
}
