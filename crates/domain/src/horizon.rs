//! The slot horizon: which hourly slots must exist ahead of time.

use crate::hours::{ServiceOffset, SLOT_LENGTH};
use time::{Duration, OffsetDateTime};

/// Every hourly slot start from the next whole hour after `now` through `now + horizon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotHorizon {
    first: OffsetDateTime,
    last: OffsetDateTime,
}

impl SlotHorizon {
    /// Default look-ahead, matching the booking window's far edge.
    pub const DEFAULT: Duration = Duration::days(90);

    pub fn new(now: OffsetDateTime, horizon: Duration, offset: ServiceOffset) -> Self {
        let first = offset.ceil_hour(now);
        let last = offset.floor_hour(now + horizon);
        Self { first, last }
    }

    /// The first required slot start.
    pub fn first(&self) -> OffsetDateTime {
        self.first
    }

    /// The last required slot start (inclusive); before `first` when the horizon is shorter
    /// than an hour.
    pub fn last(&self) -> OffsetDateTime {
        self.last
    }

    pub fn len(&self) -> usize {
        if self.last < self.first {
            0
        } else {
            ((self.last - self.first).whole_hours() + 1) as usize
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every required slot start, ascending.
    pub fn starts(&self) -> impl Iterator<Item = OffsetDateTime> + '_ {
        (0..self.len()).map(move |h| self.first + SLOT_LENGTH * (h as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn horizon_starts_at_the_next_whole_hour_and_covers_ninety_days() {
        let now = datetime!(2026-11-23 09:30 UTC);
        let h = SlotHorizon::new(now, SlotHorizon::DEFAULT, ServiceOffset::UTC);
        assert_eq!(h.first(), datetime!(2026-11-23 10:00 UTC));
        assert_eq!(h.last(), datetime!(2027-02-21 09:00 UTC));
        assert_eq!(h.len(), 24 * 90);
        let starts: Vec<_> = h.starts().collect();
        assert_eq!(starts.len(), h.len());
        assert!(starts.windows(2).all(|w| w[1] - w[0] == SLOT_LENGTH));
    }

    #[test]
    fn horizon_includes_now_when_now_is_on_the_hour() {
        let now = datetime!(2026-11-23 10:00 UTC);
        let h = SlotHorizon::new(now, Duration::hours(2), ServiceOffset::UTC);
        assert_eq!(
            h.starts().collect::<Vec<_>>(),
            vec![
                datetime!(2026-11-23 10:00 UTC),
                datetime!(2026-11-23 11:00 UTC),
                datetime!(2026-11-23 12:00 UTC),
            ]
        );
    }

    #[test]
    fn horizon_follows_the_service_offset() {
        let now = datetime!(2026-11-23 09:10 UTC);
        let h = SlotHorizon::new(now, Duration::days(1), ServiceOffset::new(offset!(+05:30)));
        assert_eq!(h.first(), datetime!(2026-11-23 09:30 UTC));
    }

    #[test]
    fn horizon_shorter_than_an_hour_can_be_empty() {
        let now = datetime!(2026-11-23 09:10 UTC);
        let h = SlotHorizon::new(now, Duration::minutes(20), ServiceOffset::UTC);
        assert!(h.is_empty());
        assert_eq!(h.starts().count(), 0);
    }
}
