//! Hour alignment and calendar days.
//!
//! Every instant is UTC inside the service. "On the hour" and "a date" are read in the service's
//! configured UTC offset, so a service configured at +05:30 has slots starting at :30 UTC.

use thiserror::Error;
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

/// Every slot is exactly one hour long.
pub const SLOT_LENGTH: Duration = Duration::HOUR;

/// The calendar the service works in. Instants outside it are refused at the door, so that
/// every later step (offset changes, adding an hour or a day, the booking window) stays far
/// from the ends of the representable range and can never overflow.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 9998;

/// True when `instant`, read in UTC, falls inside the service's calendar.
pub fn within_calendar(instant: OffsetDateTime) -> bool {
    instant
        .checked_to_offset(UtcOffset::UTC)
        .is_some_and(|utc| (FIRST_YEAR..=LAST_YEAR).contains(&utc.year()))
}

/// The UTC offset in which the service reads hours and dates (default `+00:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceOffset(UtcOffset);

impl Default for ServiceOffset {
    fn default() -> Self {
        Self::UTC
    }
}

impl ServiceOffset {
    pub const UTC: Self = Self(UtcOffset::UTC);

    pub fn new(offset: UtcOffset) -> Self {
        Self(offset)
    }

    pub fn offset(self) -> UtcOffset {
        self.0
    }

    /// True when `instant` has zero minutes, seconds and sub-seconds in the service offset.
    pub fn is_on_the_hour(self, instant: OffsetDateTime) -> bool {
        instant
            .checked_to_offset(self.0)
            .is_some_and(|l| l.minute() == 0 && l.second() == 0 && l.nanosecond() == 0)
    }

    /// The earliest instant on the hour that is not before `instant` (the instant itself when it
    /// is already on the hour).
    pub fn ceil_hour(self, instant: OffsetDateTime) -> OffsetDateTime {
        let floor = self.floor_hour(instant);
        if floor == instant {
            floor
        } else {
            floor + SLOT_LENGTH
        }
    }

    /// The latest instant on the hour that is not after `instant`.
    pub fn floor_hour(self, instant: OffsetDateTime) -> OffsetDateTime {
        let local = instant.to_offset(self.0);
        local
            .replace_time(Time::from_hms(local.hour(), 0, 0).unwrap_or(Time::MIDNIGHT))
            .to_offset(UtcOffset::UTC)
    }

    /// The calendar day of `date` in the service offset, as a UTC half-open range of instants;
    /// `None` for a date outside the service's calendar.
    pub fn day(self, date: Date) -> Option<(OffsetDateTime, OffsetDateTime)> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            return None;
        }
        let start = date
            .midnight()
            .assume_offset(self.0)
            .checked_to_offset(UtcOffset::UTC)?;
        Some((start, start.checked_add(Duration::DAY)?))
    }

    /// The calendar date of `instant` in the service offset.
    pub fn date_of(self, instant: OffsetDateTime) -> Date {
        instant.to_offset(self.0).date()
    }
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum HourRangeError {
    #[error("times must fall between the years 1970 and 9998")]
    OutOfRange,
    #[error("starts_at must be on the hour")]
    StartNotOnTheHour,
    #[error("ends_at must be on the hour")]
    EndNotOnTheHour,
    #[error("ends_at must be after starts_at")]
    EndNotAfterStart,
}

/// A half-open range `[start, end)` of whole hours, both ends on the hour, start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HourRange {
    start: OffsetDateTime,
    end: OffsetDateTime,
}

impl HourRange {
    /// # Errors
    /// Returns the first rule the pair breaks: alignment of the start, of the end, then order.
    pub fn new(
        start: OffsetDateTime,
        end: OffsetDateTime,
        offset: ServiceOffset,
    ) -> Result<Self, HourRangeError> {
        if !within_calendar(start) || !within_calendar(end) {
            return Err(HourRangeError::OutOfRange);
        }
        if !offset.is_on_the_hour(start) {
            return Err(HourRangeError::StartNotOnTheHour);
        }
        if !offset.is_on_the_hour(end) {
            return Err(HourRangeError::EndNotOnTheHour);
        }
        if end <= start {
            return Err(HourRangeError::EndNotAfterStart);
        }
        Ok(Self {
            start: start.to_offset(UtcOffset::UTC),
            end: end.to_offset(UtcOffset::UTC),
        })
    }

    /// The one-hour range starting at `start`, which must be on the hour.
    ///
    /// # Errors
    /// `StartNotOnTheHour` when `start` is not aligned.
    pub fn single(start: OffsetDateTime, offset: ServiceOffset) -> Result<Self, HourRangeError> {
        let end = start
            .checked_add(SLOT_LENGTH)
            .ok_or(HourRangeError::OutOfRange)?;
        Self::new(start, end, offset)
    }

    pub fn start(&self) -> OffsetDateTime {
        self.start
    }

    pub fn end(&self) -> OffsetDateTime {
        self.end
    }

    /// Number of hourly slots the range covers.
    pub fn hours(&self) -> u32 {
        u32::try_from((self.end - self.start).whole_hours()).unwrap_or(u32::MAX)
    }

    /// The start of every slot the range covers, in ascending order.
    pub fn slot_starts(&self) -> impl Iterator<Item = OffsetDateTime> + '_ {
        (0..self.hours()).map(move |h| self.start + SLOT_LENGTH * h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};

    #[test]
    fn instants_are_on_the_hour_only_with_zero_minutes_seconds_and_nanos() {
        let utc = ServiceOffset::UTC;
        assert!(utc.is_on_the_hour(datetime!(2026-12-01 10:00 UTC)));
        assert!(!utc.is_on_the_hour(datetime!(2026-12-01 10:30 UTC)));
        assert!(!utc.is_on_the_hour(datetime!(2026-12-01 10:00:01 UTC)));
        assert!(!utc.is_on_the_hour(datetime!(2026-12-01 10:00:00.5 UTC)));
    }

    #[test]
    fn on_the_hour_is_read_in_the_service_offset() {
        let india = ServiceOffset::new(offset!(+05:30));
        assert!(india.is_on_the_hour(datetime!(2026-12-01 04:30 UTC)));
        assert!(!india.is_on_the_hour(datetime!(2026-12-01 04:00 UTC)));
    }

    #[test]
    fn hour_range_is_stored_in_utc_whatever_offset_it_arrives_in() {
        let range = HourRange::new(
            datetime!(2026-12-01 12:00 +02:00),
            datetime!(2026-12-01 14:00 +02:00),
            ServiceOffset::UTC,
        )
        .expect("valid range");
        assert_eq!(range.start(), datetime!(2026-12-01 10:00 UTC));
        assert_eq!(range.start().offset(), UtcOffset::UTC);
        assert_eq!(range.hours(), 2);
    }

    #[test]
    fn hour_range_rejects_unaligned_or_reversed_times() {
        let utc = ServiceOffset::UTC;
        let at = |h: u8, m: u8| {
            datetime!(2026-12-01 00:00 UTC).replace_time(Time::from_hms(h, m, 0).expect("time"))
        };
        assert_eq!(
            HourRange::new(at(10, 15), at(11, 0), utc),
            Err(HourRangeError::StartNotOnTheHour)
        );
        assert_eq!(
            HourRange::new(at(10, 0), at(11, 15), utc),
            Err(HourRangeError::EndNotOnTheHour)
        );
        assert_eq!(
            HourRange::new(at(10, 0), at(10, 0), utc),
            Err(HourRangeError::EndNotAfterStart)
        );
        assert_eq!(
            HourRange::new(at(11, 0), at(10, 0), utc),
            Err(HourRangeError::EndNotAfterStart)
        );
    }

    #[test]
    fn hour_range_lists_every_covered_slot_start_in_order() {
        let range = HourRange::new(
            datetime!(2026-12-01 22:00 UTC),
            datetime!(2026-12-02 01:00 UTC),
            ServiceOffset::UTC,
        )
        .expect("valid range");
        let starts: Vec<_> = range.slot_starts().collect();
        assert_eq!(
            starts,
            vec![
                datetime!(2026-12-01 22:00 UTC),
                datetime!(2026-12-01 23:00 UTC),
                datetime!(2026-12-02 00:00 UTC)
            ]
        );
    }

    #[test]
    fn a_date_is_a_calendar_day_in_the_service_offset() {
        let (start, end) = ServiceOffset::new(offset!(+02:00))
            .day(date!(2026 - 12 - 01))
            .expect("inside the calendar");
        assert_eq!(start, datetime!(2026-11-30 22:00 UTC));
        assert_eq!(end, datetime!(2026-12-01 22:00 UTC));
    }

    #[test]
    fn the_ends_of_the_calendar_are_refused_not_panicked_on() {
        let west = ServiceOffset::new(offset!(-23:59));
        let east = ServiceOffset::new(offset!(+23:59));
        for offset in [west, east, ServiceOffset::UTC] {
            assert_eq!(offset.day(date!(9999 - 12 - 31)), None);
            assert_eq!(offset.day(date!(-9999 - 01 - 01)), None);
            let last = datetime!(9999-12-31 23:00 -23:59);
            assert!(!offset.is_on_the_hour(last) || offset == west);
            assert_eq!(
                HourRange::new(datetime!(9999-12-31 23:00 UTC), last, offset),
                Err(HourRangeError::OutOfRange)
            );
            assert_eq!(
                HourRange::single(datetime!(9999-12-31 23:00 UTC), offset),
                Err(HourRangeError::OutOfRange)
            );
        }
    }

    #[test]
    fn ceil_and_floor_hour_round_in_the_service_offset() {
        let utc = ServiceOffset::UTC;
        let t = datetime!(2026-12-01 10:20 UTC);
        assert_eq!(utc.floor_hour(t), datetime!(2026-12-01 10:00 UTC));
        assert_eq!(utc.ceil_hour(t), datetime!(2026-12-01 11:00 UTC));
        let on = datetime!(2026-12-01 10:00 UTC);
        assert_eq!(utc.ceil_hour(on), on);
        let india = ServiceOffset::new(offset!(+05:30));
        assert_eq!(india.ceil_hour(t), datetime!(2026-12-01 10:30 UTC));
    }
}
