//! Which hours this process last saw booking first-come: a hint that sends a create for them
//! straight to the first-come booking, past the approval insert that would only refuse it and
//! the read that would explain why. A booking mode changes rarely (an admin opens registration
//! for some hours), so re-learning it on every create would be work done twice.
//!
//! The hint is never trusted: the first-come booking checks every hour's mode on the slot rows
//! it has locked, and an ask whose hours no longer all book first-come is forgotten here and
//! routed again from the start, through the approval insert.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// Past this many hours the set starts afresh (a year of hours is 8,760).
const MOST_HOURS: usize = 20_000;

#[derive(Debug, Default)]
pub(crate) struct ModeHints(Mutex<HashSet<i64>>);

impl ModeHints {
    /// True when every hour of `hours` was last seen booking first-come.
    pub fn all_first_come(&self, mut hours: impl Iterator<Item = i64>) -> bool {
        let known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        hours.all(|h| known.contains(&h))
    }

    pub fn learn_first_come(&self, hours: impl IntoIterator<Item = i64>) {
        let mut known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= MOST_HOURS {
            known.clear();
        }
        known.extend(hours);
    }

    pub fn forget(&self, hours: impl IntoIterator<Item = i64>) {
        let mut known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for h in hours {
            known.remove(&h);
        }
    }
}
