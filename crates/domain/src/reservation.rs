//! Reservations and who may move them between states.
//!
//! ```text
//! pending --confirm (admin, room in every slot)--> confirmed
//! pending --cancel (owner or admin)--------------> cancelled
//! confirmed --cancel (admin; frees the seats)----> cancelled
//! ```
//! Cancelled is final. Owners edit only while pending; admins edit pending and confirmed ones
//! (a confirmed edit moves its seats, all or nothing). A reservation whose start has passed can no
//! longer be confirmed or edited.

use crate::hours::HourRange;
use crate::seats::Seats;
use crate::user::{Role, UserId};
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
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "confirmed" => Some(Self::Confirmed),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
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
        }
    }

    /// # Errors
    /// `NotFound` for strangers, `AlreadyCancelled`, or `CancelConfirmedRequiresAdmin`.
    pub fn check_cancel(&self, actor: &Actor) -> Result<(), TransitionError> {
        self.ensure_visible_to(actor)?;
        match self.status {
            ReservationStatus::Pending => Ok(()),
            ReservationStatus::Confirmed if actor.is_admin() => Ok(()),
            ReservationStatus::Confirmed => Err(TransitionError::CancelConfirmedRequiresAdmin),
            ReservationStatus::Cancelled => Err(TransitionError::AlreadyCancelled),
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
            ReservationStatus::Confirmed if actor.is_admin() => EditKind::MoveConfirmed,
            ReservationStatus::Confirmed => {
                return Err(TransitionError::EditConfirmedRequiresAdmin)
            }
            ReservationStatus::Cancelled => return Err(TransitionError::AlreadyCancelled),
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
            created_at: NOW,
            updated_at: NOW,
        }
    }

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
            r.check_cancel(&ADMIN),
            Err(TransitionError::AlreadyCancelled)
        );
        assert_eq!(
            r.check_edit(&ADMIN, NOW),
            Err(TransitionError::AlreadyCancelled)
        );
        assert_eq!(
            r.check_cancel(&OWNER),
            Err(TransitionError::AlreadyCancelled)
        );
    }

    #[test]
    fn transition_pending_to_cancelled_by_owner_or_admin() {
        assert_eq!(reservation(Pending).check_cancel(&OWNER), Ok(()));
        assert_eq!(reservation(Pending).check_cancel(&ADMIN), Ok(()));
    }

    #[test]
    fn transition_confirmed_to_cancelled_is_admin_only() {
        assert_eq!(reservation(Confirmed).check_cancel(&ADMIN), Ok(()));
        assert_eq!(
            reservation(Confirmed).check_cancel(&OWNER),
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
            assert_eq!(r.check_cancel(&STRANGER), Err(TransitionError::NotFound));
            assert_eq!(r.check_edit(&STRANGER, NOW), Err(TransitionError::NotFound));
            assert_eq!(
                r.check_confirm(&STRANGER, NOW),
                Err(TransitionError::NotFound)
            );
            assert_eq!(r.ensure_visible_to(&ADMIN), Ok(()));
        }
    }

    #[test]
    fn reservation_status_round_trips_through_its_name() {
        for s in [Pending, Confirmed, Cancelled] {
            assert_eq!(ReservationStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReservationStatus::parse("done"), None);
    }
}
