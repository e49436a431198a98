//! Reservations and who may move them between states.
//!
//! By approval (the hour's booking mode, see `first_come`):
//! ```text
//! pending --confirm (admin, room in every slot)--> confirmed
//! pending --cancel (owner or admin)--------------> cancelled
//! confirmed --cancel (admin; frees the seats)----> cancelled
//! ```
//! First-come:
//! ```text
//! (request, room in every hour) -------------------------------------> confirmed
//! (request, an hour short, waitlist) --------------------------------> waitlisted
//! waitlisted --seats freed, room in every hour (in join order)-------> confirmed
//! waitlisted --the booking window closes for its start--------------> expired
//! confirmed | waitlisted --cancel (admin; owner until the window closes)--> cancelled
//! ```
//! Cancelled and expired are final. Owners edit only pending reservations; admins edit pending
//! and confirmed ones (a confirmed edit moves its seats, all or nothing). A waiting reservation
//! is not edited: it is cancelled and asked again. A reservation whose start has passed can no
//! longer be confirmed or edited.

use crate::first_come::BookingMode;
use crate::hours::HourRange;
use crate::seats::Seats;
use crate::user::{Role, UserId};
use crate::window::BookingWindow;
use std::fmt;
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReservationId(pub i64);

impl fmt::Display for ReservationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservationStatus {
    Pending,
    Confirmed,
    Cancelled,
    /// First-come, waiting for seats to come free.
    Waitlisted,
    /// First-come, still waiting when the booking window closed for its start.
    Expired,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 5] = [
        Self::Pending,
        Self::Confirmed,
        Self::Cancelled,
        Self::Waitlisted,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Waitlisted => "waitlisted",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// Who is acting: the authenticated user and their role at the time of the request, and the
/// address the request came from (for the audit trail; `None` when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub client: Option<std::net::IpAddr>,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub id: ReservationId,
    pub user_id: UserId,
    pub range: HourRange,
    pub seats: Seats,
    pub status: ReservationStatus,
    /// How its hours booked when it was made.
    pub mode: BookingMode,
    /// Where a waiting reservation stands in line (1 is next); filled in when it is read.
    pub waitlist_position: Option<u32>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Every way a state change can be illegal, each distinct so callers can tell them apart.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    /// Someone else's reservation looks exactly like a missing one.
    #[error("reservation not found")]
    NotFound,
    #[error("only an admin may confirm a reservation")]
    ConfirmRequiresAdmin,
    #[error("the reservation is already confirmed")]
    AlreadyConfirmed,
    #[error("the reservation is cancelled, which is final")]
    AlreadyCancelled,
    #[error("only an admin may cancel a confirmed reservation")]
    CancelConfirmedRequiresAdmin,
    #[error("only an admin may edit a confirmed reservation")]
    EditConfirmedRequiresAdmin,
    #[error("the reservation has already started")]
    AlreadyStarted,
    #[error("the reservation is waiting for seats; it is confirmed when they come free")]
    Waitlisted,
    #[error("the reservation expired: the booking window closed while it waited")]
    AlreadyExpired,
    #[error("a first-come reservation is not edited: cancel it and ask again")]
    FirstComeCannotBeEdited,
    #[error("a first-come reservation can be cancelled by its owner until the booking window closes for its start")]
    CancelWindowClosed,
}

/// What an allowed edit has to do with the slot counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// A pending reservation: no confirmed seats move.
    Pending,
    /// A confirmed reservation: its seats move from the old slots to the new ones atomically.
    MoveConfirmed,
}

impl Reservation {
    /// Owners see their own reservations; admins see all.
    ///
    /// # Errors
    /// `NotFound` when `actor` is neither the owner nor an admin.
    pub fn ensure_visible_to(&self, actor: &Actor) -> Result<(), TransitionError> {
        if actor.is_admin() || actor.user_id == self.user_id {
            Ok(())
        } else {
            Err(TransitionError::NotFound)
        }
    }

    fn has_started(&self, now: OffsetDateTime) -> bool {
        self.range.start() <= now
    }

    /// The reservation as it stands at `now`: a waiting one whose start is now inside the
    /// closed part of the booking window has expired, whether or not storage has caught up.
    #[must_use]
    pub fn as_of(mut self, now: OffsetDateTime, window: &BookingWindow) -> Self {
        if self.status == ReservationStatus::Waitlisted && self.window_closed(now, window) {
            self.status = ReservationStatus::Expired;
        }
        self
    }

    /// True when the booking window has closed for the reservation's start.
    fn window_closed(&self, now: OffsetDateTime, window: &BookingWindow) -> bool {
        self.range.start() < now + window.min_lead
    }

    /// # Errors
    /// Visibility first, then role, then state, then whether it has started.
    pub fn check_confirm(&self, actor: &Actor, now: OffsetDateTime) -> Result<(), TransitionError> {
        self.ensure_visible_to(actor)?;
        if !actor.is_admin() {
            return Err(TransitionError::ConfirmRequiresAdmin);
        }
        match self.status {
            ReservationStatus::Pending if self.has_started(now) => {
                Err(TransitionError::AlreadyStarted)
            }
            ReservationStatus::Pending => Ok(()),
            ReservationStatus::Confirmed => Err(TransitionError::AlreadyConfirmed),
            ReservationStatus::Cancelled => Err(TransitionError::AlreadyCancelled),
            ReservationStatus::Waitlisted => Err(TransitionError::Waitlisted),
            ReservationStatus::Expired => Err(TransitionError::AlreadyExpired),
        }
    }

    /// # Errors
    /// `NotFound` for strangers, `AlreadyCancelled` or `AlreadyExpired`,
    /// `CancelConfirmedRequiresAdmin` for an owner's confirmed approval reservation, and
    /// `CancelWindowClosed` for an owner's first-come one once the window has closed for it.
    pub fn check_cancel(
        &self,
        actor: &Actor,
        now: OffsetDateTime,
        window: &BookingWindow,
    ) -> Result<(), TransitionError> {
        self.ensure_visible_to(actor)?;
        match self.status {
            ReservationStatus::Pending => Ok(()),
            ReservationStatus::Cancelled => Err(TransitionError::AlreadyCancelled),
            ReservationStatus::Expired => Err(TransitionError::AlreadyExpired),
            ReservationStatus::Confirmed | ReservationStatus::Waitlisted if actor.is_admin() => {
                Ok(())
            }
            _ if self.mode == BookingMode::FirstCome && self.window_closed(now, window) => {
                Err(TransitionError::CancelWindowClosed)
            }
            _ if self.mode == BookingMode::FirstCome => Ok(()),
            _ => Err(TransitionError::CancelConfirmedRequiresAdmin),
        }
    }

    /// # Errors
    /// `NotFound` for strangers, `AlreadyCancelled`, `EditConfirmedRequiresAdmin` for an owner
    /// editing a confirmed reservation, `AlreadyStarted` once the start has passed.
    pub fn check_edit(
        &self,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<EditKind, TransitionError> {
        self.ensure_visible_to(actor)?;
        let kind = match self.status {
            ReservationStatus::Pending => EditKind::Pending,
            ReservationStatus::Cancelled => return Err(TransitionError::AlreadyCancelled),
            ReservationStatus::Expired => return Err(TransitionError::AlreadyExpired),
            ReservationStatus::Waitlisted => return Err(TransitionError::FirstComeCannotBeEdited),
            ReservationStatus::Confirmed if actor.is_admin() => EditKind::MoveConfirmed,
            ReservationStatus::Confirmed if self.mode == BookingMode::FirstCome => {
                return Err(TransitionError::FirstComeCannotBeEdited)
            }
            ReservationStatus::Confirmed => {
                return Err(TransitionError::EditConfirmedRequiresAdmin)
            }
        };
        if self.has_started(now) {
            return Err(TransitionError::AlreadyStarted);
        }
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::ServiceOffset;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);
    const OWNER: Actor = Actor {
        user_id: UserId(1),
        role: Role::User,
        client: None,
    };
    const STRANGER: Actor = Actor {
        user_id: UserId(2),
        role: Role::User,
        client: None,
    };
    const ADMIN: Actor = Actor {
        user_id: UserId(3),
        role: Role::Admin,
        client: None,
    };

    fn reservation(status: ReservationStatus) -> Reservation {
        let start = datetime!(2026-12-01 10:00 UTC);
        Reservation {
            id: ReservationId(7),
            user_id: OWNER.user_id,
            range: HourRange::single(start, ServiceOffset::UTC).expect("range"),
            seats: Seats::new(5).expect("seats"),
            status,
            mode: BookingMode::Approval,
            waitlist_position: None,
            created_at: NOW,
            updated_at: NOW,
        }
    }

    fn first_come(status: ReservationStatus) -> Reservation {
        Reservation {
            mode: BookingMode::FirstCome,
            ..reservation(status)
        }
    }

    const WINDOW: BookingWindow = BookingWindow {
        min_lead: time::Duration::days(3),
        max_ahead: time::Duration::days(90),
    };

    use ReservationStatus::*;

    #[test]
    fn transition_pending_to_confirmed_is_admin_only() {
        assert_eq!(reservation(Pending).check_confirm(&ADMIN, NOW), Ok(()));
        assert_eq!(
            reservation(Pending).check_confirm(&OWNER, NOW),
            Err(TransitionError::ConfirmRequiresAdmin)
        );
    }

    #[test]
    fn transition_confirm_twice_is_already_confirmed() {
        assert_eq!(
            reservation(Confirmed).check_confirm(&ADMIN, NOW),
            Err(TransitionError::AlreadyConfirmed)
        );
    }

    #[test]
    fn transition_cancelled_is_final() {
        let r = reservation(Cancelled);
        assert_eq!(
            r.check_confirm(&ADMIN, NOW),
            Err(TransitionError::AlreadyCancelled)
        );
        assert_eq!(
            r.check_cancel(&ADMIN, NOW, &WINDOW),
            Err(TransitionError::AlreadyCancelled)
        );
        assert_eq!(
            r.check_edit(&ADMIN, NOW),
            Err(TransitionError::AlreadyCancelled)
        );
        assert_eq!(
            r.check_cancel(&OWNER, NOW, &WINDOW),
            Err(TransitionError::AlreadyCancelled)
        );
    }

    #[test]
    fn transition_pending_to_cancelled_by_owner_or_admin() {
        assert_eq!(
            reservation(Pending).check_cancel(&OWNER, NOW, &WINDOW),
            Ok(())
        );
        assert_eq!(
            reservation(Pending).check_cancel(&ADMIN, NOW, &WINDOW),
            Ok(())
        );
    }

    #[test]
    fn transition_confirmed_to_cancelled_is_admin_only() {
        assert_eq!(
            reservation(Confirmed).check_cancel(&ADMIN, NOW, &WINDOW),
            Ok(())
        );
        assert_eq!(
            reservation(Confirmed).check_cancel(&OWNER, NOW, &WINDOW),
            Err(TransitionError::CancelConfirmedRequiresAdmin)
        );
    }

    #[test]
    fn transition_owner_edits_only_while_pending() {
        assert_eq!(
            reservation(Pending).check_edit(&OWNER, NOW),
            Ok(EditKind::Pending)
        );
        assert_eq!(
            reservation(Confirmed).check_edit(&OWNER, NOW),
            Err(TransitionError::EditConfirmedRequiresAdmin)
        );
    }

    #[test]
    fn transition_admin_edit_of_confirmed_moves_seats() {
        assert_eq!(
            reservation(Confirmed).check_edit(&ADMIN, NOW),
            Ok(EditKind::MoveConfirmed)
        );
        assert_eq!(
            reservation(Pending).check_edit(&ADMIN, NOW),
            Ok(EditKind::Pending)
        );
    }

    #[test]
    fn transition_started_reservation_cannot_be_confirmed_or_edited() {
        let later = datetime!(2026-12-01 10:00 UTC);
        assert_eq!(
            reservation(Pending).check_confirm(&ADMIN, later),
            Err(TransitionError::AlreadyStarted)
        );
        assert_eq!(
            reservation(Pending).check_edit(&OWNER, later),
            Err(TransitionError::AlreadyStarted)
        );
        assert_eq!(
            reservation(Confirmed).check_edit(&ADMIN, later),
            Err(TransitionError::AlreadyStarted)
        );
    }

    #[test]
    fn visibility_another_users_reservation_looks_not_found() {
        for r in [
            reservation(Pending),
            reservation(Confirmed),
            reservation(Cancelled),
        ] {
            assert_eq!(
                r.ensure_visible_to(&STRANGER),
                Err(TransitionError::NotFound)
            );
            assert_eq!(
                r.check_cancel(&STRANGER, NOW, &WINDOW),
                Err(TransitionError::NotFound)
            );
            assert_eq!(r.check_edit(&STRANGER, NOW), Err(TransitionError::NotFound));
            assert_eq!(
                r.check_confirm(&STRANGER, NOW),
                Err(TransitionError::NotFound)
            );
            assert_eq!(r.ensure_visible_to(&ADMIN), Ok(()));
        }
    }

    #[test]
    fn an_owner_cancels_a_first_come_reservation_until_the_window_closes_for_it() {
        // The start is 8 days after NOW: the window closes 3 days before it.
        for status in [Confirmed, Waitlisted] {
            let r = first_come(status);
            assert_eq!(r.check_cancel(&OWNER, NOW, &WINDOW), Ok(()));
            let late = r.range.start() - time::Duration::days(2);
            assert_eq!(
                r.check_cancel(&OWNER, late, &WINDOW),
                Err(TransitionError::CancelWindowClosed)
            );
            assert_eq!(r.check_cancel(&ADMIN, late, &WINDOW), Ok(()));
        }
    }

    #[test]
    fn first_come_reservations_are_not_edited_by_owners_and_waiting_ones_by_nobody() {
        assert_eq!(
            first_come(Confirmed).check_edit(&OWNER, NOW),
            Err(TransitionError::FirstComeCannotBeEdited)
        );
        assert_eq!(
            first_come(Confirmed).check_edit(&ADMIN, NOW),
            Ok(EditKind::MoveConfirmed)
        );
        for actor in [OWNER, ADMIN] {
            assert_eq!(
                first_come(Waitlisted).check_edit(&actor, NOW),
                Err(TransitionError::FirstComeCannotBeEdited)
            );
        }
        assert_eq!(
            first_come(Waitlisted).check_confirm(&ADMIN, NOW),
            Err(TransitionError::Waitlisted)
        );
    }

    #[test]
    fn a_waiting_reservation_reads_as_expired_once_the_window_closes_for_it() {
        let r = first_come(Waitlisted);
        assert_eq!(r.clone().as_of(NOW, &WINDOW).status, Waitlisted);
        let late = r.range.start() - time::Duration::days(2);
        let expired = r.as_of(late, &WINDOW);
        assert_eq!(expired.status, Expired);
        assert_eq!(
            expired.check_cancel(&ADMIN, late, &WINDOW),
            Err(TransitionError::AlreadyExpired)
        );
        // Only a waiting one expires.
        assert_eq!(first_come(Confirmed).as_of(late, &WINDOW).status, Confirmed);
    }

    #[test]
    fn reservation_status_round_trips_through_its_name() {
        for s in ReservationStatus::ALL {
            assert_eq!(ReservationStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReservationStatus::parse("done"), None);
    }
}
