//! A per-date memory of values labelled with what they were made under (a date's counter tag,
//! and whatever else they depend on). An entry is handed out only while its label still holds
//! and for at most `ENTRY_MAX_AGE`: the one case a tag cannot cover is a cache that was
//! unreachable when a change tried to retag, and came back with its old keys.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use time::Date;

const ENTRY_MAX_AGE: Duration = Duration::from_secs(5);
/// Enough for every bookable date several times over; past it the map starts afresh.
const MAX_ENTRIES: usize = 512;

#[derive(Debug)]
struct Entry<L, V> {
    label: L,
    made: Instant,
    value: V,
}

/// Values per date, each valid while its label is current.
#[derive(Debug)]
pub struct DayCache<L, V> {
    days: Mutex<HashMap<Date, Entry<L, V>>>,
}

impl<L, V> Default for DayCache<L, V> {
    fn default() -> Self {
        Self {
            days: Mutex::default(),
        }
    }
}

impl<L: PartialEq, V: Clone> DayCache<L, V> {
    /// The value kept for `date`, if it was made under `label` a moment ago.
    pub fn get(&self, date: Date, label: &L) -> Option<V> {
        let days = self.days.lock().unwrap_or_else(PoisonError::into_inner);
        days.get(&date)
            .filter(|e| e.label == *label && e.made.elapsed() < ENTRY_MAX_AGE)
            .map(|e| e.value.clone())
    }

    pub fn put(&self, date: Date, label: L, value: V) {
        let mut days = self.days.lock().unwrap_or_else(PoisonError::into_inner);
        if days.len() >= MAX_ENTRIES {
            days.clear();
        }
        let made = Instant::now();
        days.insert(date, Entry { label, made, value });
    }
}
