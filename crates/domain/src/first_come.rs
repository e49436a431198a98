//! First-come booking: who gets seats at once, who waits, and who a freed seat goes to.
//!
//! An hourly slot books either by approval (a request waits for an admin) or first-come (a
//! request that fits takes its seats at once). In a first-come hour a request that does not fit
//! may join the waitlist; when seats come free, the waiting reservations that cover the freed
//! hours are promoted in the order they joined, each only if every hour it covers has room for
//! all its seats. One that does not fit is passed over, and the next is tried.
//!
//! Those two steps keep three promises, which the property tests below check:
//! - never more confirmed seats in an hour than it holds;
//! - never a reservation that fits left waiting behind a later one that was promoted (a
//!   promotion only takes seats, so one that did not fit at its turn cannot fit later in the
//!   same pass);
//! - no freed seat left empty while a waiting reservation that fits is still waiting.

use crate::hours::HourRange;
use crate::seats::Seats;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How an hourly slot books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BookingMode {
    /// A request stays pending until an admin confirms it.
    #[default]
    Approval,
    /// A request that fits is confirmed at once; one that does not may wait for freed seats.
    FirstCome,
}

impl BookingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approval => "approval",
            Self::FirstCome => "first_come",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "approval" => Some(Self::Approval),
            "first_come" => Some(Self::FirstCome),
            _ => None,
        }
    }
}

/// The free seats of the hours in play, by each hour's start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FreeSeats(BTreeMap<OffsetDateTime, u32>);

impl FreeSeats {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an hour's free seats (its capacity minus its confirmed seats).
    pub fn set(&mut self, hour: OffsetDateTime, free: u32) {
        self.0.insert(hour, free);
    }

    pub fn get(&self, hour: OffsetDateTime) -> Option<u32> {
        self.0.get(&hour).copied()
    }

    /// The first hour of `range` that is unknown or has fewer than `seats` free, if any.
    pub fn short_hour(&self, range: &HourRange, seats: Seats) -> Option<OffsetDateTime> {
        range
            .slot_starts()
            .find(|hour| self.get(*hour).is_none_or(|free| free < seats.get()))
    }

    /// Takes `seats` in every hour of `range`, all or nothing: `false` (and nothing taken)
    /// when an hour is short.
    pub fn take(&mut self, range: &HourRange, seats: Seats) -> bool {
        if self.short_hour(range, seats).is_some() {
            return false;
        }
        for hour in range.slot_starts() {
            if let Some(free) = self.0.get_mut(&hour) {
                *free -= seats.get();
            }
        }
        true
    }

    /// Gives `seats` back in every known hour of `range`.
    pub fn give_back(&mut self, range: &HourRange, seats: Seats) {
        for hour in range.slot_starts() {
            if let Some(free) = self.0.get_mut(&hour) {
                *free += seats.get();
            }
        }
    }
}

/// A first-come request, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub range: HourRange,
    pub seats: Seats,
    /// Join the waitlist when an hour is short, instead of being refused.
    pub waitlist: bool,
}

/// What became of a first-come request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Its seats are taken: confirmed at once.
    Confirmed,
    /// An hour was short, and it waits for freed seats.
    Waitlisted,
    /// This hour was short, and it asked not to wait.
    Refused { short_hour: OffsetDateTime },
}

/// Decides requests in the order they arrived, taking the seats of each that fits.
pub fn admit(free: &mut FreeSeats, requests: &[Request]) -> Vec<Admission> {
    requests
        .iter()
        .map(|r| match free.short_hour(&r.range, r.seats) {
            None => {
                free.take(&r.range, r.seats);
                Admission::Confirmed
            }
            Some(_) if r.waitlist => Admission::Waitlisted,
            Some(short_hour) => Admission::Refused { short_hour },
        })
        .collect()
}

/// A reservation on the waitlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting<Id> {
    pub id: Id,
    pub range: HourRange,
    pub seats: Seats,
}

/// The waiting reservations to promote, given `waiting` in the order they joined: each that
/// fits at its turn takes its seats from `free`; one that does not is passed over.
pub fn promote<Id: Copy>(free: &mut FreeSeats, waiting: &[Waiting<Id>]) -> Vec<Id> {
    waiting
        .iter()
        .filter(|w| free.take(&w.range, w.seats))
        .map(|w| w.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::ServiceOffset;
    use proptest::prelude::*;
    use time::macros::datetime;
    use time::Duration;

    const T0: OffsetDateTime = datetime!(2030-01-01 00:00 UTC);

    fn hour(h: i64) -> OffsetDateTime {
        T0 + Duration::hours(h)
    }

    fn range(from: i64, hours: i64) -> HourRange {
        HourRange::new(hour(from), hour(from + hours), ServiceOffset::UTC).expect("range")
    }

    fn seats(n: u32) -> Seats {
        Seats::new(i64::from(n)).expect("seats")
    }

    fn free_of(hours: &[(i64, u32)]) -> FreeSeats {
        let mut free = FreeSeats::new();
        for (h, n) in hours {
            free.set(hour(*h), *n);
        }
        free
    }

    #[test]
    fn a_request_that_fits_is_confirmed_and_one_that_does_not_waits_or_is_refused() {
        let mut free = free_of(&[(0, 10), (1, 3)]);
        let ask = |from, hours, n, waitlist| Request {
            range: range(from, hours),
            seats: seats(n),
            waitlist,
        };
        let decided = admit(
            &mut free,
            &[
                ask(0, 1, 6, false),
                ask(0, 2, 4, true),
                ask(0, 2, 3, false),
                ask(0, 1, 4, true),
                ask(0, 1, 4, false),
            ],
        );
        assert_eq!(
            decided,
            [
                Admission::Confirmed,
                Admission::Waitlisted,
                Admission::Confirmed,
                Admission::Waitlisted,
                Admission::Refused {
                    short_hour: hour(0)
                },
            ]
        );
        assert_eq!((free.get(hour(0)), free.get(hour(1))), (Some(1), Some(0)));
    }

    #[test]
    fn promotion_goes_in_join_order_and_passes_over_one_that_does_not_fit() {
        let mut free = free_of(&[(0, 5), (1, 2)]);
        let waiting = [
            Waiting {
                id: 1,
                range: range(0, 2),
                seats: seats(3),
            },
            Waiting {
                id: 2,
                range: range(0, 1),
                seats: seats(4),
            },
            Waiting {
                id: 3,
                range: range(0, 1),
                seats: seats(2),
            },
        ];
        // 1 needs 3 in hour 1 (2 free): passed over. 2 takes 4 of hour 0. 3 needs 2: 1 left.
        assert_eq!(promote(&mut free, &waiting), [2]);
        assert_eq!(free.get(hour(0)), Some(1));
    }

    #[test]
    fn an_hour_that_is_not_known_is_short() {
        let free = free_of(&[(0, 100)]);
        assert_eq!(free.short_hour(&range(0, 2), seats(1)), Some(hour(1)));
    }

    /// A request as drawn: first hour, hours, seats.
    type Drawn = (i64, i64, u32);

    /// A random case: hours 0..4 with their capacities, confirmed seats, and a waitlist.
    fn case() -> impl Strategy<Value = (Vec<u32>, Vec<Drawn>, Vec<Drawn>)> {
        (
            prop::collection::vec(0u32..60, 4),
            prop::collection::vec((0i64..4, 1i64..3, 1u32..40), 0..12),
            prop::collection::vec((0i64..4, 1i64..3, 1u32..40), 0..12),
        )
    }

    fn in_hours(from: i64, hours: i64) -> HourRange {
        range(from, hours.min(4 - from))
    }

    proptest! {
        /// Admitting, then freeing some seats and promoting, never goes above capacity, never
        /// promotes one behind a waiting one that fits, and leaves no waiting one that fits.
        #[test]
        fn the_promotion_rule_keeps_its_three_promises((capacity, asks, cancel) in case()) {
            let mut free = FreeSeats::new();
            for (h, c) in capacity.iter().enumerate() {
                free.set(hour(h as i64), *c);
            }
            let requests: Vec<Request> = asks
                .iter()
                .map(|(from, hours, n)| Request {
                    range: in_hours(*from, *hours),
                    seats: seats(*n),
                    waitlist: true,
                })
                .collect();
            let decided = admit(&mut free, &requests);
            for (h, c) in capacity.iter().enumerate() {
                prop_assert!(free.get(hour(h as i64)).is_some_and(|f| f <= *c));
            }
            // Free some seats, as cancellations of confirmed reservations would.
            for (from, hours, n) in &cancel {
                let r = in_hours(*from, *hours);
                for h in r.slot_starts() {
                    let cap = capacity[((h - T0).whole_hours()) as usize];
                    let now = free.get(h).unwrap_or(0);
                    free.set(h, (now + n).min(cap));
                }
            }
            let waiting: Vec<Waiting<usize>> = requests
                .iter()
                .zip(&decided)
                .enumerate()
                .filter(|(_, (_, d))| **d == Admission::Waitlisted)
                .map(|(i, (r, _))| Waiting { id: i, range: r.range, seats: r.seats })
                .collect();
            let before = free.clone();
            let promoted = promote(&mut free, &waiting);
            // Never above capacity: free seats never go below zero (u32) and were taken
            // exactly as the promoted ones ask.
            let mut replay = before.clone();
            for id in &promoted {
                let w = waiting.iter().find(|w| w.id == *id).expect("a waiting one");
                prop_assert!(replay.take(&w.range, w.seats));
            }
            prop_assert_eq!(&replay, &free);
            // Nothing left waiting fits what is free now, and none was skipped for a later one.
            let last_promoted = promoted.last().copied();
            for w in waiting.iter().filter(|w| !promoted.contains(&w.id)) {
                prop_assert!(free.short_hour(&w.range, w.seats).is_some());
                if let Some(last) = last_promoted {
                    if w.id < last {
                        // Passed over: it did not fit at its turn either.
                        let mut at_turn = before.clone();
                        for p in promoted.iter().filter(|p| **p < w.id) {
                            let pw = waiting.iter().find(|x| x.id == *p).expect("promoted");
                            at_turn.take(&pw.range, pw.seats);
                        }
                        prop_assert!(at_turn.short_hour(&w.range, w.seats).is_some());
                    }
                }
            }
        }
    }
}
