//! The booking window: how far ahead a reservation may start and end.

use crate::hours::HourRange;
use thiserror::Error;
use time::{Duration, OffsetDateTime};

/// Reservations must start at least `min_lead` after now and end at most `max_ahead` after now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingWindow {
    pub min_lead: Duration,
    pub max_ahead: Duration,
}

impl Default for BookingWindow {
    fn default() -> Self {
        Self {
            min_lead: Duration::days(3),
            max_ahead: Duration::days(90),
        }
    }
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum WindowError {
    #[error("reservations must start at or after {earliest}")]
    StartsTooSoon { earliest: OffsetDateTime },
    #[error("reservations must end at or before {latest}")]
    EndsTooLate { latest: OffsetDateTime },
}

impl BookingWindow {
    /// The earliest allowed start and the latest allowed end, seen from `now`.
    pub fn bounds(&self, now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
        (now + self.min_lead, now + self.max_ahead)
    }

    /// # Errors
    /// `StartsTooSoon` when `range` starts before `now + min_lead`; `EndsTooLate` when it ends
    /// after `now + max_ahead`.
    pub fn check(&self, range: &HourRange, now: OffsetDateTime) -> Result<(), WindowError> {
        let (earliest, latest) = self.bounds(now);
        if range.start() < earliest {
            return Err(WindowError::StartsTooSoon { earliest });
        }
        if range.end() > latest {
            return Err(WindowError::EndsTooLate { latest });
        }
        Ok(())
    }

    /// True when the hourly slot starting at `start` could be booked on its own right now.
    pub fn slot_is_bookable(&self, start: OffsetDateTime, now: OffsetDateTime) -> bool {
        let (earliest, latest) = self.bounds(now);
        start >= earliest && start + crate::SLOT_LENGTH <= latest
    }

    /// True when no hour of the half-open span `[from, to)` can ever be inside the window now.
    pub fn excludes_span(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        now: OffsetDateTime,
    ) -> bool {
        let (earliest, latest) = self.bounds(now);
        to <= earliest || from >= latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::ServiceOffset;
    use proptest::prelude::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 09:30 UTC);

    fn range(start: OffsetDateTime, hours: i64) -> HourRange {
        HourRange::new(start, start + Duration::hours(hours), ServiceOffset::UTC).expect("range")
    }

    #[test]
    fn window_accepts_a_start_three_days_ahead_or_later() {
        let w = BookingWindow::default();
        assert_eq!(
            w.check(&range(datetime!(2026-11-26 10:00 UTC), 1), NOW),
            Ok(())
        );
    }

    #[test]
    fn window_rejects_a_start_less_than_three_days_ahead() {
        let w = BookingWindow::default();
        assert_eq!(
            w.check(&range(datetime!(2026-11-26 09:00 UTC), 1), NOW),
            Err(WindowError::StartsTooSoon {
                earliest: datetime!(2026-11-26 09:30 UTC)
            })
        );
    }

    #[test]
    fn window_accepts_an_end_exactly_ninety_days_ahead_and_rejects_later() {
        let w = BookingWindow::default();
        let now = datetime!(2026-11-23 10:00 UTC);
        let latest = now + Duration::days(90);
        assert_eq!(w.check(&range(latest - Duration::HOUR, 1), now), Ok(()));
        assert_eq!(
            w.check(&range(latest, 1), now),
            Err(WindowError::EndsTooLate { latest })
        );
    }

    #[test]
    fn window_bounds_are_configurable() {
        let w = BookingWindow {
            min_lead: Duration::hours(1),
            max_ahead: Duration::days(2),
        };
        assert_eq!(
            w.check(&range(datetime!(2026-11-23 11:00 UTC), 1), NOW),
            Ok(())
        );
    }

    #[test]
    fn window_excludes_a_span_wholly_before_or_after_it() {
        let w = BookingWindow::default();
        let day = |s: OffsetDateTime| (s, s + Duration::DAY);
        let (a, b) = day(datetime!(2026-11-24 00:00 UTC));
        assert!(w.excludes_span(a, b, NOW));
        let (a, b) = day(datetime!(2026-11-26 00:00 UTC));
        assert!(!w.excludes_span(a, b, NOW), "partly inside is not excluded");
        let (a, b) = day(datetime!(2027-02-21 00:00 UTC));
        assert!(
            !w.excludes_span(a, b, NOW),
            "day of the far edge is partly inside"
        );
        let (a, b) = day(datetime!(2027-02-22 00:00 UTC));
        assert!(w.excludes_span(a, b, NOW));
    }

    proptest! {
        /// Whatever the range and the clock, `check` agrees with the two inequalities it encodes.
        #[test]
        fn window_check_matches_its_definition(
            start_h in -200i64..3000, hours in 1i64..100, now_min in 0i64..600
        ) {
            let base = datetime!(2026-11-23 00:00 UTC);
            let now = base + Duration::minutes(now_min);
            let r = range(base + Duration::hours(start_h), hours);
            let ok = r.start() >= now + Duration::days(3) && r.end() <= now + Duration::days(90);
            prop_assert_eq!(BookingWindow::default().check(&r, now).is_ok(), ok);
        }

        /// A range is in the window exactly when each of its slots is bookable on its own.
        #[test]
        fn window_check_agrees_with_per_slot_bookability(
            start_h in 60i64..2200, hours in 1i64..48, now_min in 0i64..600
        ) {
            let base = datetime!(2026-11-23 00:00 UTC);
            let now = base + Duration::minutes(now_min);
            let r = range(base + Duration::hours(start_h), hours);
            let w = BookingWindow::default();
            let every_slot = r.slot_starts().all(|s| w.slot_is_bookable(s, now));
            prop_assert_eq!(w.check(&r, now).is_ok(), every_slot);
        }
    }
}
