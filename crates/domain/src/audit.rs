//! The audit trail of admin actions: who did what to which record, when, and which fields
//! changed from what to what.
//!
//! A note is written by the storage adapter in the same transaction as the change it
//! describes, so a change without its note (or a note without its change) cannot exist. Notes
//! are append-only: nothing in the service updates or deletes one.

use crate::{Actor, UserId};
use std::net::IpAddr;
use time::OffsetDateTime;

/// What kind of record an action changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Reservation,
    User,
    Book,
    Voucher,
    Claim,
    /// Hourly slots; the target id is the first slot's start, in seconds since the epoch.
    Slot,
}

impl TargetKind {
    pub const ALL: [TargetKind; 6] = [
        Self::Reservation,
        Self::User,
        Self::Book,
        Self::Voucher,
        Self::Claim,
        Self::Slot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reservation => "reservation",
            Self::User => "user",
            Self::Book => "book",
            Self::Voucher => "voucher",
            Self::Claim => "claim",
            Self::Slot => "slot",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Every action the trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    ReservationConfirmed,
    ReservationEdited,
    ReservationCancelled,
    /// Freed seats went to it from the waitlist (no actor: the release did it).
    ReservationPromoted,
    /// Its booking window closed while it waited (no actor: the slot generator's run did it).
    ReservationExpired,
    SlotsModeChanged,
    UserChanged,
    UserDeleted,
    AdminCreated,
    BookCreated,
    VoucherCreated,
    VoucherChanged,
    ClaimRedeemed,
}

impl AuditAction {
    pub const ALL: [AuditAction; 13] = [
        Self::ReservationConfirmed,
        Self::ReservationEdited,
        Self::ReservationCancelled,
        Self::ReservationPromoted,
        Self::ReservationExpired,
        Self::SlotsModeChanged,
        Self::UserChanged,
        Self::UserDeleted,
        Self::AdminCreated,
        Self::BookCreated,
        Self::VoucherCreated,
        Self::VoucherChanged,
        Self::ClaimRedeemed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReservationConfirmed => "reservation.confirmed",
            Self::ReservationEdited => "reservation.edited",
            Self::ReservationCancelled => "reservation.cancelled",
            Self::ReservationPromoted => "reservation.promoted",
            Self::ReservationExpired => "reservation.expired",
            Self::SlotsModeChanged => "slot.booking_mode_changed",
            Self::UserChanged => "user.changed",
            Self::UserDeleted => "user.deleted",
            Self::AdminCreated => "user.admin_created",
            Self::BookCreated => "book.created",
            Self::VoucherCreated => "voucher.created",
            Self::VoucherChanged => "voucher.changed",
            Self::ClaimRedeemed => "claim.redeemed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// The kind of record the action changes.
    pub fn target(self) -> TargetKind {
        match self {
            Self::ReservationConfirmed
            | Self::ReservationEdited
            | Self::ReservationCancelled
            | Self::ReservationPromoted
            | Self::ReservationExpired => TargetKind::Reservation,
            Self::SlotsModeChanged => TargetKind::Slot,
            Self::UserChanged | Self::UserDeleted | Self::AdminCreated => TargetKind::User,
            Self::BookCreated => TargetKind::Book,
            Self::VoucherCreated | Self::VoucherChanged => TargetKind::Voucher,
            Self::ClaimRedeemed => TargetKind::Claim,
        }
    }
}

/// A field's value before or after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditValue {
    Absent,
    Bool(bool),
    Int(i64),
    Text(String),
    Time(OffsetDateTime),
    /// A secret that changed (a password): its value is never written down.
    Hidden,
}

impl From<bool> for AuditValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<i64> for AuditValue {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<u32> for AuditValue {
    fn from(v: u32) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<&str> for AuditValue {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for AuditValue {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<OffsetDateTime> for AuditValue {
    fn from(v: OffsetDateTime) -> Self {
        Self::Time(v)
    }
}

impl<T: Into<AuditValue>> From<Option<T>> for AuditValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Absent, Into::into)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: AuditValue,
    pub after: AuditValue,
}

/// One admin action, as the change's transaction writes it down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditNote {
    /// When the action happened (the service's clock, like every other instant it stores).
    pub at: OffsetDateTime,
    /// `None`: the command line (`api-server create-admin`), not a signed-in admin.
    pub actor: Option<UserId>,
    /// The address the actor's request came from, when known.
    pub client: Option<IpAddr>,
    pub action: AuditAction,
    /// `None` for a creation: the storage fills in the new record's id.
    pub target_id: Option<i64>,
    pub changes: Vec<FieldChange>,
}

impl AuditNote {
    pub fn new(
        at: OffsetDateTime,
        actor: Option<UserId>,
        action: AuditAction,
        target_id: Option<i64>,
    ) -> Self {
        Self {
            at,
            actor,
            client: None,
            action,
            target_id,
            changes: Vec::new(),
        }
    }

    /// A note of `actor`'s action, from the address their request came from.
    pub fn by(
        actor: &Actor,
        at: OffsetDateTime,
        action: AuditAction,
        target_id: Option<i64>,
    ) -> Self {
        Self {
            client: actor.client,
            ..Self::new(at, Some(actor.user_id), action, target_id)
        }
    }

    /// Adds a field's change; a field whose value stays the same is left out.
    #[must_use]
    pub fn change(
        mut self,
        field: &'static str,
        before: impl Into<AuditValue>,
        after: impl Into<AuditValue>,
    ) -> Self {
        let (before, after) = (before.into(), after.into());
        if before != after || after == AuditValue::Hidden {
            self.changes.push(FieldChange {
                field,
                before,
                after,
            });
        }
        self
    }

    /// Records a value a creation set.
    #[must_use]
    pub fn set(self, field: &'static str, after: impl Into<AuditValue>) -> Self {
        self.change(field, AuditValue::Absent, after)
    }
}

/// A note as stored: `changes` is the JSON object the storage wrote,
/// `{"field": {"before": …, "after": …}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor: Option<UserId>,
    /// The actor's address, as the request log has it.
    pub client: Option<String>,
    pub action: AuditAction,
    pub target_id: i64,
    pub changes_json: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_actions_know_their_target() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            assert!(action.as_str().starts_with(action.target().as_str()));
        }
        for kind in TargetKind::ALL {
            assert_eq!(TargetKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuditAction::parse("reservation.deleted"), None);
    }

    #[test]
    fn unchanged_fields_are_left_out_and_secrets_kept_in() {
        let at = time::macros::datetime!(2026-11-28 12:00 UTC);
        let note = AuditNote::new(at, Some(UserId(1)), AuditAction::UserChanged, Some(2))
            .change("role", "user", "admin")
            .change("username", "ann", "ann")
            .change("password", AuditValue::Hidden, AuditValue::Hidden);
        let fields: Vec<_> = note.changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["role", "password"]);
    }
}
