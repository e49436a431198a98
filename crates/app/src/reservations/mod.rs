//! Reservation use cases for owners and admins.
//!
//! Owner use cases act with the owner's rights even when the caller is an admin (the admin
//! routes are where admin rights apply). Edits and cancellations read the reservation, decide,
//! then write, so they take the distributed lock on it first and release it on every path. A
//! confirm is a single guarded statement in the database, atomic on its own, so it takes no
//! lock: the record is read only to explain a refusal. The storage guards decide in every case.
//!
//! Every change of seat counters gives the dates it touched new availability tags before it is
//! answered, so the writer's next availability read is never older than its own answer.
//!
//! In first-come hours a request takes its seats at once or joins the waitlist (the storage
//! decides under its slot locks, by `domain::first_come`), and every release of seats promotes
//! the waiting reservations that fit, in the same transaction. Every read shows a reservation
//! as it stands now: a waiting one past its booking window reads as expired (slot-generator
//! stores that on its run), and a waiting one carries its place in line.

use crate::audit;
use crate::auth::AuthService;
use crate::error::AppError;
mod commits;

use crate::group_commit::GroupCommit;
use crate::idempotency::IdempotencyKey;
use crate::locking::with_lock;
use crate::policy::BookingPolicy;
use crate::Deps;
use domain::audit::AuditAction;
use domain::audit::AuditNote;
use domain::{
    Actor, EditKind, HourRange, Page, PageRequest, Reservation, ReservationId, ReservationStatus,
    Role, Seats, UserId,
};
use ports::{
    ChangeReservationError, Clock, DistributedLock, NewReservation, Release, Released,
    ReservationFilter, ReservationOrder, ReservationRepository, SharedCache, SlotRepository,
};
use std::sync::Arc;
use time::{Date, OffsetDateTime};

/// What a reservation request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationRequest {
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub seats: i64,
    /// In first-come hours: wait for seats when an hour is short, instead of being refused.
    pub waitlist: bool,
}

/// A partial edit: absent fields keep their current value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReservationPatch {
    pub starts_at: Option<OffsetDateTime>,
    pub ends_at: Option<OffsetDateTime>,
    pub seats: Option<i64>,
}

/// Filters of the admin list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminReservationQuery {
    pub status: Option<ReservationStatus>,
    pub user_id: Option<UserId>,
    /// Reservations overlapping this calendar date (in the service offset).
    pub date: Option<Date>,
    pub order: ReservationOrder,
}

#[derive(Clone)]
pub struct ReservationService {
    reservations: Arc<dyn ReservationRepository>,
    /// Read only to name the short hour of a refused confirm or move.
    slots: Arc<dyn SlotRepository>,
    lock: Arc<dyn DistributedLock>,
    cache: Arc<dyn SharedCache>,
    clock: Arc<dyn Clock>,
    policy: BookingPolicy,
    creates: Arc<GroupCommit<NewReservation, Created>>,
    confirms: Arc<GroupCommit<(ReservationId, AuditNote), Changed>>,
}

use commits::{Changed, Created};

impl std::fmt::Debug for ReservationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReservationService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn lock_key(id: ReservationId) -> String {
    format!("reservation:{id}")
}

/// The calendar dates (in the service offset) that `ranges` touch.
fn days_of(ranges: &[&HourRange], offset: domain::ServiceOffset) -> Vec<Date> {
    let mut days: Vec<Date> = Vec::with_capacity(2);
    for range in ranges {
        let last_hour = range.end() - domain::SLOT_LENGTH;
        for day in [range.start(), last_hour].map(|t| offset.date_of(t)) {
            if !days.contains(&day) {
                days.push(day);
            }
        }
    }
    days
}

/// Gives `days` new availability tags; a failure is logged (see `counters_changed`).
async fn retag(cache: &dyn SharedCache, days: &[Date]) {
    if let Err(e) = cache.days_changed(days).await {
        tracing::warn!(error = %e, "could not retag availability after a counter change");
    }
}

/// Stores as expired every waiting reservation whose booking window has closed at `now`; for
/// callers that hold only the repository (the slot-generator binary).
///
/// # Errors
/// `Backend` only.
pub async fn expire_closed_waitlists(
    reservations: &dyn ReservationRepository,
    now: OffsetDateTime,
    window: &domain::BookingWindow,
) -> Result<Vec<ReservationId>, AppError> {
    let closed_before = Release::at(now, window).bookable_from;
    Ok(reservations.expire_waiting(closed_before, now).await?)
}

/// The owner routes never grant admin rights, whoever calls them.
fn as_owner(actor: &Actor) -> Actor {
    Actor {
        role: Role::User,
        ..*actor
    }
}

impl ReservationService {
    pub fn new(deps: &Deps) -> Self {
        Self {
            reservations: deps.reservations.clone(),
            slots: deps.slots.clone(),
            lock: deps.lock.clone(),
            cache: deps.cache.clone(),
            clock: deps.clock.clone(),
            policy: deps.policy,
            creates: commits::creates(
                deps.reservations.clone(),
                deps.cache.clone(),
                deps.policy.offset,
            ),
            confirms: commits::confirms(deps.reservations.clone(), deps.clock.clone()),
        }
    }

    /// Requests `seats` seats from `starts_at` to `ends_at`. In approval hours the reservation
    /// stays pending until an admin confirms it; in first-come hours it is confirmed at once,
    /// or, when an hour is short and `waitlist` is set, waits for seats. Creates that arrive
    /// while another is being written are stored together, with one commit. Under `key` the
    /// reservation is linked to the request's idempotency key in the same transaction, so a
    /// retry after a crash finds it.
    ///
    /// # Errors
    /// `Invalid` for seats, alignment, order, window or mixed booking modes;
    /// `Conflict::SlotMissing`, `Conflict::HourFull` or `Conflict::InsufficientCapacity`.
    pub async fn create(
        &self,
        actor: &Actor,
        request: ReservationRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<Reservation, AppError> {
        let seats = Seats::new(request.seats)?;
        let now = self.clock.now();
        let range = self.bookable_range(request.starts_at, request.ends_at, now)?;
        let new = NewReservation {
            user_id: actor.user_id,
            range,
            seats,
            now,
            idempotency_key: key.map(|k| k.as_str().to_owned()),
            waitlist: request.waitlist,
        };
        let made = self.creates.submit(new).await?;
        self.presented(made).await
    }

    /// The actor's own reservations, newest first.
    ///
    /// # Errors
    /// `Backend` only.
    pub async fn list_own(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Reservation>, AppError> {
        let filter = ReservationFilter {
            user_id: Some(actor.user_id),
            ..ReservationFilter::default()
        };
        let listed = self.reservations.list(filter, page).await?;
        self.presented_page(listed).await
    }

    /// # Errors
    /// `NotFound` for unknown ids and other users' reservations alike.
    pub async fn get_own(&self, actor: &Actor, id: ReservationId) -> Result<Reservation, AppError> {
        let found = self.load_visible(&as_owner(actor), id).await?;
        self.presented(found).await
    }

    /// Edits the actor's own pending reservation.
    ///
    /// # Errors
    /// As [`ReservationService::create`], plus `NotFound`, `Conflict::Transition`, `Busy`.
    pub async fn edit_own(
        &self,
        actor: &Actor,
        id: ReservationId,
        patch: ReservationPatch,
    ) -> Result<Reservation, AppError> {
        self.edit(as_owner(actor), id, patch).await
    }

    /// Cancels the actor's own pending reservation.
    ///
    /// # Errors
    /// `NotFound`, `Conflict::Transition`, `Busy`.
    pub async fn cancel_own(&self, actor: &Actor, id: ReservationId) -> Result<(), AppError> {
        self.cancel(as_owner(actor), id).await
    }

    /// Every reservation, filtered, newest first unless `query.order` says oldest first.
    ///
    /// # Errors
    /// `Forbidden` for non-admins.
    pub async fn admin_list(
        &self,
        actor: &Actor,
        query: AdminReservationQuery,
        page: PageRequest,
    ) -> Result<Page<Reservation>, AppError> {
        AuthService::require_admin(actor)?;
        let overlapping = match query.date {
            // A date outside the service's calendar overlaps no reservation.
            Some(d) => match self.policy.offset.day(d) {
                Some(day) => Some(day),
                None => return Ok(Page::empty(page)),
            },
            None => None,
        };
        if matches!(
            query.status,
            Some(ReservationStatus::Waitlisted | ReservationStatus::Expired)
        ) {
            // A filter on the waitlist's states must see them as they stand now: the waiting
            // reservations whose window has closed are stored as expired first.
            self.expire_closed_waitlists().await?;
        }
        let filter = ReservationFilter {
            user_id: query.user_id,
            status: query.status,
            overlapping,
            order: query.order,
        };
        let listed = self.reservations.list(filter, page).await?;
        self.presented_page(listed).await
    }

    /// # Errors
    /// `Forbidden` for non-admins, `NotFound`.
    pub async fn admin_get(
        &self,
        actor: &Actor,
        id: ReservationId,
    ) -> Result<Reservation, AppError> {
        AuthService::require_admin(actor)?;
        let found = self.load_visible(actor, id).await?;
        self.presented(found).await
    }

    /// Edits a pending or confirmed reservation; a confirmed one moves its seats atomically.
    ///
    /// # Errors
    /// `Forbidden`, then as [`ReservationService::edit_own`].
    pub async fn admin_edit(
        &self,
        actor: &Actor,
        id: ReservationId,
        patch: ReservationPatch,
    ) -> Result<Reservation, AppError> {
        AuthService::require_admin(actor)?;
        self.edit(*actor, id, patch).await
    }

    /// Cancels a pending or confirmed reservation, freeing confirmed seats.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Conflict::Transition`, `Busy`.
    pub async fn admin_cancel(&self, actor: &Actor, id: ReservationId) -> Result<(), AppError> {
        AuthService::require_admin(actor)?;
        self.cancel(*actor, id).await
    }

    /// Confirms a pending reservation if every covered slot has room now. The 3-day rule is not
    /// re-applied, but a reservation that has started can no longer be confirmed.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Conflict::Transition`, `Conflict::InsufficientCapacity`,
    /// `Conflict::SlotMissing`.
    pub async fn confirm(&self, actor: &Actor, id: ReservationId) -> Result<Reservation, AppError> {
        AuthService::require_admin(actor)?;
        let outcome = self.confirm_as_admin(actor, id).await;
        let label = match &outcome {
            Ok(_) => "confirmed",
            Err(AppError::Conflict(
                crate::error::Conflict::InsufficientCapacity | crate::error::Conflict::HourFull(_),
            )) => "insufficient_capacity",
            Err(AppError::Conflict(crate::error::Conflict::SlotMissing)) => "slot_missing",
            Err(AppError::Conflict(_)) => "not_pending",
            Err(AppError::NotFound(_)) => "not_found",
            Err(AppError::Busy) => "busy",
            Err(_) => "error",
        };
        metrics::counter!("reservation_confirms_total", "outcome" => label).increment(1);
        outcome
    }

    async fn confirm_as_admin(
        &self,
        actor: &Actor,
        id: ReservationId,
    ) -> Result<Reservation, AppError> {
        let now = self.clock.now();
        let note = audit::confirm(actor, now, id.0);
        match self.confirms.submit((id, note)).await {
            Ok(confirmed) => {
                self.counters_changed(&[&confirmed.range]).await;
                Ok(confirmed)
            }
            Err(
                refused @ (ChangeReservationError::StatusChanged(_)
                | ChangeReservationError::NotFound),
            ) => {
                // The guard refused: the record says why, in the domain's words.
                let current = self.load_visible(actor, id).await?;
                current.check_confirm(actor, now)?;
                Err(refused.into())
            }
            Err(ChangeReservationError::InsufficientCapacity) => {
                let current = self.load_visible(actor, id).await?;
                Err(self.no_room(&current.range, current.seats).await)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Gives the dates of `ranges` new availability tags. A failure is logged, not answered:
    /// the change is committed, and readers that cannot reach the cache read the database.
    async fn counters_changed(&self, ranges: &[&HourRange]) {
        retag(self.cache.as_ref(), &days_of(ranges, self.policy.offset)).await;
    }

    async fn edit(
        &self,
        actor: Actor,
        id: ReservationId,
        patch: ReservationPatch,
    ) -> Result<Reservation, AppError> {
        // Rules that need no stored state are checked before anything is locked or read.
        let new_seats = patch.seats.map(Seats::new).transpose()?;
        with_lock(self.lock.as_ref(), &lock_key(id), async {
            let now = self.clock.now();
            let current = self.load_visible(&actor, id).await?;
            // State first: a started, confirmed-by-others or cancelled reservation cannot be
            // edited at all, whatever the new times would be.
            let kind = current.check_edit(&actor, now)?;
            let starts_at = patch.starts_at.unwrap_or(current.range.start());
            let ends_at = patch.ends_at.unwrap_or(current.range.end());
            let range = self.bookable_range(starts_at, ends_at, now)?;
            let seats = new_seats.unwrap_or(current.seats);
            let note = audit::by_admin(&actor, now, AuditAction::ReservationEdited, Some(id.0))
                .map(|note| audit::edited(note, &current, &range, seats));
            let updated = match (kind, note) {
                (EditKind::Pending, note) => {
                    self.reservations
                        .update_pending(id, range, seats, now, note)
                        .await?
                }
                (EditKind::MoveConfirmed, note) => {
                    // Only admins move confirmed reservations; the domain refused anyone else.
                    let note = note.ok_or(AppError::Forbidden)?;
                    let moved = match self
                        .reservations
                        .move_confirmed(id, range, seats, self.release(now), note)
                        .await
                    {
                        Err(ChangeReservationError::InsufficientCapacity) => {
                            return Err(self.no_room(&range, seats).await)
                        }
                        other => other?,
                    };
                    self.released(&current, &moved).await;
                    moved.reservation
                }
            };
            Ok(updated)
        })
        .await
    }

    async fn cancel(&self, actor: Actor, id: ReservationId) -> Result<(), AppError> {
        with_lock(self.lock.as_ref(), &lock_key(id), async {
            let now = self.clock.now();
            let current = self
                .load_visible(&actor, id)
                .await?
                .as_of(now, &self.policy.window);
            current.check_cancel(&actor, now, &self.policy.window)?;
            let note = audit::by_admin(&actor, now, AuditAction::ReservationCancelled, Some(id.0))
                .map(|note| {
                    note.change(
                        "status",
                        current.status.as_str(),
                        ReservationStatus::Cancelled.as_str(),
                    )
                });
            let cancelled = self
                .reservations
                .cancel(id, current.status, self.release(now), note)
                .await?;
            // A pending reservation holds no seats and is on no waitlist: nothing to retag.
            if current.status != ReservationStatus::Pending {
                self.released(&current, &cancelled).await;
            }
            Ok(())
        })
        .await
    }

    /// The refusal of a change that found no room in `range`, naming the first hour short of
    /// `seats` as the slots stand now (a plain refusal when they cannot be read, or have room
    /// again).
    async fn no_room(&self, range: &HourRange, seats: Seats) -> AppError {
        let short = self
            .slots
            .list_between(range.start(), range.end())
            .await
            .ok()
            .and_then(|slots| {
                slots
                    .into_iter()
                    .find(|s| s.load.remaining() < seats.get())
                    .map(|s| s.starts_at)
            });
        match short {
            Some(hour) => crate::error::Conflict::HourFull(hour).into(),
            None => crate::error::Conflict::InsufficientCapacity.into(),
        }
    }

    /// What a change that may free seats needs to promote waiting reservations into them: the
    /// earliest start still inside the booking window.
    fn release(&self, now: OffsetDateTime) -> Release {
        Release::at(now, &self.policy.window)
    }

    /// Retags the dates a release touched: the changed reservation's old and new hours, and
    /// the hours of every reservation it promoted.
    async fn released(&self, before: &Reservation, after: &Released) {
        let mut ranges = vec![&before.range, &after.reservation.range];
        ranges.extend(after.promoted.iter().map(|r| &r.range));
        self.counters_changed(&ranges).await;
        for promoted in &after.promoted {
            tracing::info!(
                reservation = promoted.id.0,
                "waitlisted reservation promoted"
            );
        }
    }

    /// Stores as expired every waiting reservation whose booking window has closed (the
    /// slot-generator's cron run; reads apply the same rule on their own).
    ///
    /// # Errors
    /// `Backend` only.
    pub async fn expire_closed_waitlists(&self) -> Result<Vec<ReservationId>, AppError> {
        expire_closed_waitlists(
            self.reservations.as_ref(),
            self.clock.now(),
            &self.policy.window,
        )
        .await
    }

    /// A reservation as it stands now, with its place in line if it waits.
    async fn presented(&self, reservation: Reservation) -> Result<Reservation, AppError> {
        let mut one = [reservation];
        self.place_in_line(&mut one).await?;
        let [reservation] = one;
        Ok(reservation)
    }

    async fn presented_page(
        &self,
        mut page: Page<Reservation>,
    ) -> Result<Page<Reservation>, AppError> {
        self.place_in_line(&mut page.items).await?;
        Ok(page)
    }

    /// Applies the booking window to waiting reservations and fills in their positions, with
    /// one read for the lot (none when nothing waits).
    async fn place_in_line(&self, reservations: &mut [Reservation]) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut waiting = Vec::new();
        for r in reservations.iter_mut() {
            *r = r.clone().as_of(now, &self.policy.window);
            match r.status {
                // A place the storage has just given (a create) is as fresh as a read's.
                ReservationStatus::Waitlisted if r.waitlist_position.is_none() => {
                    waiting.push(r.id);
                }
                ReservationStatus::Waitlisted => {}
                _ => r.waitlist_position = None,
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        let positions = self.reservations.waitlist_positions(waiting).await?;
        for r in reservations.iter_mut() {
            if let Some((_, position)) = positions.iter().find(|(id, _)| *id == r.id) {
                r.waitlist_position = Some(*position);
            }
        }
        Ok(())
    }

    async fn load_visible(
        &self,
        actor: &Actor,
        id: ReservationId,
    ) -> Result<Reservation, AppError> {
        let reservation = self
            .reservations
            .get(id)
            .await?
            .ok_or(AppError::NotFound("reservation"))?;
        reservation.ensure_visible_to(actor)?;
        Ok(reservation)
    }

    fn bookable_range(
        &self,
        starts_at: OffsetDateTime,
        ends_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<HourRange, AppError> {
        let range = HourRange::new(starts_at, ends_at, self.policy.offset)?;
        self.policy.window.check(&range, now)?;
        Ok(range)
    }
}
