//! Which hourly slots of a date can be booked.
//!
//! Availability is the hottest read of the service, so each process keeps the slots of recent
//! dates in memory, each entry labelled with the date's counter tag from the shared cache. An
//! entry is used only while the tag it was loaded under is still current: every counter change
//! retags its dates before it is answered, so no reader is served counts older than a change
//! it has seen answered. Rows are read after the tag, so an entry is never older than its label.

use crate::auth::AuthService;
use crate::day_cache::DayCache;
use crate::error::{AppError, Invalid};
use crate::policy::BookingPolicy;
use crate::Deps;
use domain::SlotHorizon;
use domain::{Actor, BookingMode};
use ports::{Clock, DayTag, EnsureReport, Slot, SlotRepository};
use std::sync::Arc;
use time::Date;

/// A date whose slots all exist. Dates at the horizon's edge, still being filled by the slot
/// generator (another process), are never cached.
const HOURS_PER_DAY: usize = 24;

/// The slots of one calendar day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySlots {
    pub date: Date,
    pub slots: Vec<Slot>,
}

#[derive(Clone)]
pub struct SlotService {
    slots: Arc<dyn SlotRepository>,
    clock: Arc<dyn Clock>,
    policy: BookingPolicy,
    cache: Arc<DayCache<DayTag, Arc<Vec<Slot>>>>,
}

impl std::fmt::Debug for SlotService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl SlotService {
    pub fn new(deps: &Deps) -> Self {
        Self::from_parts(deps.slots.clone(), deps.clock.clone(), deps.policy)
    }

    /// For callers that need only slots (the slot-generator binary).
    pub fn from_parts(
        slots: Arc<dyn SlotRepository>,
        clock: Arc<dyn Clock>,
        policy: BookingPolicy,
    ) -> Self {
        Self {
            slots,
            clock,
            policy,
            cache: Arc::default(),
        }
    }

    /// The slots of `date` that could be booked right now: inside the booking window and with
    /// seats remaining (or, first-come, a waitlist to join), in order. A date partly inside the window lists only its bookable hours.
    /// With the date's current counter `tag` the answer may come from memory; without one it is
    /// read from the database.
    ///
    /// # Errors
    /// `Invalid::DateOutsideWindow` when no hour of the date is inside the window.
    pub async fn available(&self, date: Date, tag: Option<DayTag>) -> Result<DaySlots, AppError> {
        let now = self.clock.now();
        let (from, to) = self
            .policy
            .offset
            .day(date)
            .ok_or(Invalid::DateOutsideWindow)?;
        if self.policy.window.excludes_span(from, to, now) {
            return Err(Invalid::DateOutsideWindow.into());
        }
        let all = match tag.and_then(|t| self.cache.get(date, &t)) {
            Some(hit) => hit,
            None => {
                let loaded = Arc::new(self.slots.list_between(from, to).await?);
                if let Some(tag) = tag.filter(|_| loaded.len() == HOURS_PER_DAY) {
                    self.cache.put(date, tag, loaded.clone());
                }
                loaded
            }
        };
        let window = self.policy.window;
        let slots = all
            .iter()
            // A full first-come hour stays listed: its waitlist can still be joined.
            .filter(|s| s.load.remaining() > 0 || s.mode == BookingMode::FirstCome)
            .filter(|s| window.slot_is_bookable(s.starts_at, now))
            .cloned()
            .collect();
        Ok(DaySlots { date, slots })
    }

    /// Which hour of the service offset it is now. The bookable part of a date only changes
    /// when this does, so an answer rendered for a date's tag stays right within the hour.
    pub fn window_hour(&self) -> i64 {
        let now = self.clock.now();
        let offset = i64::from(self.policy.offset.offset().whole_seconds());
        (now.unix_timestamp() + offset).div_euclid(3600)
    }

    /// Creates every missing slot from the next whole hour through now + the configured horizon
    /// (operators run this from cron through slot-generator; api-server runs it at start).
    ///
    /// # Errors
    /// `Backend` when storage fails.
    pub async fn ensure_horizon(&self) -> Result<(SlotHorizon, EnsureReport), AppError> {
        let horizon = self.horizon(self.policy.horizon);
        let report = self
            .slots
            .ensure(horizon, self.policy.slot_capacity, self.policy.default_mode)
            .await?;
        Ok((horizon, report))
    }

    /// What `ensure_horizon` would do, without writing: the horizon and how many of its slots
    /// exist already.
    ///
    /// # Errors
    /// `Backend` when storage fails.
    pub async fn plan_horizon(&self) -> Result<(SlotHorizon, EnsureReport), AppError> {
        let horizon = self.horizon(self.policy.horizon);
        if horizon.is_empty() {
            let none = EnsureReport {
                created: 0,
                already_present: 0,
            };
            return Ok((horizon, none));
        }
        let existing = self
            .slots
            .list_between(horizon.first(), horizon.last() + domain::SLOT_LENGTH)
            .await?
            .len() as u64;
        Ok((
            horizon,
            EnsureReport {
                created: horizon.len() as u64 - existing,
                already_present: existing,
            },
        ))
    }

    /// The slots that must exist now for a look-ahead of `length`.
    pub fn horizon(&self, length: time::Duration) -> SlotHorizon {
        SlotHorizon::new(self.clock.now(), length, self.policy.offset)
    }

    /// Every slot of `date`, full and past ones included.
    ///
    /// # Errors
    /// `Forbidden` for non-admins.
    pub async fn all_of_day(&self, actor: &Actor, date: Date) -> Result<DaySlots, AppError> {
        AuthService::require_admin(actor)?;
        // A date outside the service's calendar has no slots.
        let Some((from, to)) = self.policy.offset.day(date) else {
            return Ok(DaySlots {
                date,
                slots: Vec::new(),
            });
        };
        let slots = self.slots.list_between(from, to).await?;
        Ok(DaySlots { date, slots })
    }
}
