//! The audit trail.

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// One admin action from the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The admin who acted; null for the command line (`api-server create-admin`).
    pub actor_id: Option<i64>,
    /// The address the admin's request came from (behind trusted proxies, the client's as they
    /// forwarded it); null for the command line.
    pub client_address: Option<String>,
    /// For example `reservation.confirmed`, `user.changed`, `voucher.created`.
    pub action: String,
    /// reservation, user, book, voucher or claim.
    pub target_kind: String,
    pub target_id: i64,
    /// Each changed field with its value before and after:
    /// `{"status": {"before": "pending", "after": "confirmed"}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<domain::audit::AuditEntry> for AuditEntryBody {
    fn from(e: domain::audit::AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_id: e.actor.map(|a| a.0),
            client_address: e.client,
            action: e.action.as_str().to_owned(),
            target_kind: e.action.target().as_str().to_owned(),
            target_id: e.target_id,
            changes: serde_json::from_str(&e.changes_json).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The kinds of record the audit trail names (documentation of the `target_kind` filter).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditTargetKindBody {
    Reservation,
    User,
    Book,
    Voucher,
    Claim,
    /// The hours of a booking-mode change; `target_id` is the first hour's start, in Unix
    /// seconds.
    Slot,
}

/// Every action the audit trail records (documentation of the `action` filter).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum AuditActionBody {
    #[serde(rename = "reservation.confirmed")]
    ReservationConfirmed,
    #[serde(rename = "reservation.edited")]
    ReservationEdited,
    #[serde(rename = "reservation.cancelled")]
    ReservationCancelled,
    /// A waiting reservation took freed seats (no actor).
    #[serde(rename = "reservation.promoted")]
    ReservationPromoted,
    /// A waiting reservation's booking window closed (no actor).
    #[serde(rename = "reservation.expired")]
    ReservationExpired,
    #[serde(rename = "slot.booking_mode_changed")]
    SlotsModeChanged,
    #[serde(rename = "user.changed")]
    UserChanged,
    #[serde(rename = "user.deleted")]
    UserDeleted,
    #[serde(rename = "user.admin_created")]
    AdminCreated,
    #[serde(rename = "book.created")]
    BookCreated,
    #[serde(rename = "voucher.created")]
    VoucherCreated,
    #[serde(rename = "voucher.changed")]
    VoucherChanged,
    #[serde(rename = "claim.redeemed")]
    ClaimRedeemed,
}
