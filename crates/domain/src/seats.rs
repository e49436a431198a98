//! How many seats one reservation may ask for.

use thiserror::Error;

/// A seat count for one reservation: `1..=50_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seats(u32);

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum SeatsError {
    #[error("seats must be at least {min}", min = Seats::MIN)]
    TooFew,
    #[error("seats must be at most {max}", max = Seats::MAX)]
    TooMany,
}

impl Seats {
    pub const MIN: u32 = 1;
    /// One reservation can never need more than a whole slot.
    pub const MAX: u32 = 50_000;

    /// Accepts any integer so that out-of-range input gets the rule's error, not an overflow.
    ///
    /// # Errors
    /// `TooFew` below 1, `TooMany` above 50,000.
    pub fn new(count: i64) -> Result<Self, SeatsError> {
        if count < i64::from(Self::MIN) {
            Err(SeatsError::TooFew)
        } else if count > i64::from(Self::MAX) {
            Err(SeatsError::TooMany)
        } else {
            Ok(Self(count as u32))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seats_accept_one_to_fifty_thousand() {
        assert_eq!(Seats::new(1).map(Seats::get), Ok(1));
        assert_eq!(Seats::new(50_000).map(Seats::get), Ok(50_000));
    }

    #[test]
    fn seats_reject_zero_negative_and_more_than_fifty_thousand() {
        assert_eq!(Seats::new(0), Err(SeatsError::TooFew));
        assert_eq!(Seats::new(-5), Err(SeatsError::TooFew));
        assert_eq!(Seats::new(50_001), Err(SeatsError::TooMany));
        assert_eq!(Seats::new(i64::MAX), Err(SeatsError::TooMany));
    }

    proptest! {
        #[test]
        fn seats_are_valid_exactly_inside_the_range(n in any::<i64>()) {
            let valid = (1..=50_000).contains(&n);
            prop_assert_eq!(Seats::new(n).is_ok(), valid);
        }
    }
}
