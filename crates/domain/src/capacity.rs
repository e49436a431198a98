//! Slot capacity: how many confirmed seats an hourly slot holds and how many remain.
//!
//! Only confirmed seats count. Adapters enforce the same arithmetic in storage (a guarded update
//! plus a CHECK constraint); this module is the reference those guards must agree with.

use crate::seats::Seats;
use thiserror::Error;

/// Default number of seats in every hourly slot.
pub const DEFAULT_SLOT_CAPACITY: u32 = 50_000;

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum CapacityError {
    #[error("not enough seats left: {remaining} remaining, {requested} requested")]
    Insufficient { remaining: u32, requested: u32 },
    #[error("cannot release {requested} seats: only {confirmed} are confirmed")]
    ReleaseExceedsConfirmed { confirmed: u32, requested: u32 },
    #[error("confirmed seats ({confirmed}) exceed capacity ({capacity})")]
    Inconsistent { capacity: u32, confirmed: u32 },
}

/// The load of one hourly slot. Invariant: `confirmed <= capacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotLoad {
    capacity: u32,
    confirmed: u32,
}

impl SlotLoad {
    /// # Errors
    /// `Inconsistent` when `confirmed > capacity`.
    pub fn new(capacity: u32, confirmed: u32) -> Result<Self, CapacityError> {
        if confirmed > capacity {
            return Err(CapacityError::Inconsistent {
                capacity,
                confirmed,
            });
        }
        Ok(Self {
            capacity,
            confirmed,
        })
    }

    pub fn empty(capacity: u32) -> Self {
        Self {
            capacity,
            confirmed: 0,
        }
    }

    pub fn capacity(self) -> u32 {
        self.capacity
    }

    pub fn confirmed(self) -> u32 {
        self.confirmed
    }

    /// Seats still free; never negative by construction.
    pub fn remaining(self) -> u32 {
        self.capacity - self.confirmed
    }

    pub fn has_room_for(self, seats: Seats) -> bool {
        seats.get() <= self.remaining()
    }

    /// # Errors
    /// `Insufficient` when fewer than `seats` remain; the load is then unchanged.
    pub fn confirm(self, seats: Seats) -> Result<Self, CapacityError> {
        if !self.has_room_for(seats) {
            return Err(CapacityError::Insufficient {
                remaining: self.remaining(),
                requested: seats.get(),
            });
        }
        Ok(Self {
            confirmed: self.confirmed + seats.get(),
            ..self
        })
    }

    /// # Errors
    /// `ReleaseExceedsConfirmed` when more seats are released than are confirmed.
    pub fn release(self, seats: Seats) -> Result<Self, CapacityError> {
        if seats.get() > self.confirmed {
            return Err(CapacityError::ReleaseExceedsConfirmed {
                confirmed: self.confirmed,
                requested: seats.get(),
            });
        }
        Ok(Self {
            confirmed: self.confirmed - seats.get(),
            ..self
        })
    }
}

/// Confirms `seats` in every slot of `loads`, or in none of them.
///
/// # Errors
/// The first slot's `Insufficient` error; `loads` is then left untouched.
pub fn confirm_all(loads: &mut [SlotLoad], seats: Seats) -> Result<(), CapacityError> {
    let updated = loads
        .iter()
        .map(|load| load.confirm(seats))
        .collect::<Result<Vec<_>, _>>()?;
    loads.copy_from_slice(&updated);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seats(n: i64) -> Seats {
        Seats::new(n).expect("valid seats")
    }

    #[test]
    fn capacity_remaining_is_capacity_minus_confirmed() {
        let load = SlotLoad::new(50_000, 12_345).expect("load");
        assert_eq!(load.remaining(), 37_655);
    }

    #[test]
    fn capacity_confirm_fills_a_slot_exactly_and_no_further() {
        let full = SlotLoad::new(50_000, 49_000)
            .and_then(|l| l.confirm(seats(1_000)))
            .expect("exact fit");
        assert_eq!(full.remaining(), 0);
        assert_eq!(
            full.confirm(seats(1)),
            Err(CapacityError::Insufficient {
                remaining: 0,
                requested: 1
            })
        );
    }

    #[test]
    fn capacity_release_frees_seats_and_never_goes_below_zero() {
        let load = SlotLoad::new(100, 10).expect("load");
        assert_eq!(load.release(seats(10)).map(SlotLoad::confirmed), Ok(0));
        assert_eq!(
            load.release(seats(11)),
            Err(CapacityError::ReleaseExceedsConfirmed {
                confirmed: 10,
                requested: 11
            })
        );
    }

    #[test]
    fn capacity_load_rejects_confirmed_above_capacity() {
        assert!(matches!(
            SlotLoad::new(10, 11),
            Err(CapacityError::Inconsistent { .. })
        ));
    }

    #[test]
    fn capacity_multi_slot_confirm_is_all_or_nothing() {
        let mut loads = [
            SlotLoad::new(100, 0).expect("load"),
            SlotLoad::new(100, 95).expect("load"),
            SlotLoad::new(100, 0).expect("load"),
        ];
        let before = loads;
        assert!(confirm_all(&mut loads, seats(10)).is_err());
        assert_eq!(loads, before);
        assert!(confirm_all(&mut loads, seats(5)).is_ok());
        assert_eq!(loads.map(SlotLoad::confirmed), [5, 100, 5]);
    }

    /// One step of a random history over a handful of slots.
    #[derive(Debug, Clone)]
    enum Op {
        /// Confirm a new reservation of `seats` over slots `first..first+len`.
        Confirm {
            first: usize,
            len: usize,
            seats: i64,
        },
        /// Cancel the n-th live confirmed reservation (modulo the live count).
        Cancel(usize),
        /// Move the n-th live reservation to new slots and seats, all or nothing.
        Edit {
            nth: usize,
            first: usize,
            len: usize,
            seats: i64,
        },
    }

    const SLOTS: usize = 6;

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..SLOTS, 1..=3usize, 1..=60i64).prop_map(|(first, len, seats)| Op::Confirm {
                first,
                len,
                seats
            }),
            any::<usize>().prop_map(Op::Cancel),
            (any::<usize>(), 0..SLOTS, 1..=3usize, 1..=60i64).prop_map(
                |(nth, first, len, seats)| Op::Edit {
                    nth,
                    first,
                    len,
                    seats
                }
            ),
        ]
    }

    fn span(first: usize, len: usize) -> std::ops::Range<usize> {
        first..(first + len).min(SLOTS)
    }

    proptest! {
        /// No sequence of confirm, cancel and edit drives a slot above capacity or below zero,
        /// and every slot's counter equals the sum of the confirmed seats covering it.
        #[test]
        fn capacity_holds_under_any_sequence_of_confirm_cancel_edit(
            capacity in 1u32..150,
            ops in proptest::collection::vec(op(), 1..80),
        ) {
            let mut loads = vec![SlotLoad::empty(capacity); SLOTS];
            let mut live: Vec<(std::ops::Range<usize>, Seats)> = Vec::new();
            for op in ops {
                match op {
                    Op::Confirm { first, len, seats } => {
                        let (r, s) = (span(first, len), Seats::new(seats).expect("seats"));
                        if confirm_all(&mut loads[r.clone()], s).is_ok() {
                            live.push((r, s));
                        }
                    }
                    Op::Cancel(n) if !live.is_empty() => {
                        let (r, s) = live.swap_remove(n % live.len());
                        for load in &mut loads[r] {
                            *load = load.release(s).expect("release what was confirmed");
                        }
                    }
                    Op::Edit { nth, first, len, seats } if !live.is_empty() => {
                        let i = nth % live.len();
                        let (old, old_seats) = live[i].clone();
                        let mut trial = loads.clone();
                        for load in &mut trial[old] {
                            *load = load.release(old_seats).expect("release");
                        }
                        let (r, s) = (span(first, len), Seats::new(seats).expect("seats"));
                        if confirm_all(&mut trial[r.clone()], s).is_ok() {
                            loads = trial;
                            live[i] = (r, s);
                        }
                    }
                    _ => {}
                }
                for (slot, load) in loads.iter().enumerate() {
                    let expected: u32 = live
                        .iter()
                        .filter(|(r, _)| r.contains(&slot))
                        .map(|(_, s)| s.get())
                        .sum();
                    prop_assert!(load.confirmed() <= load.capacity());
                    prop_assert_eq!(load.confirmed(), expected);
                    prop_assert_eq!(load.remaining(), capacity - expected);
                }
            }
        }
    }
}
