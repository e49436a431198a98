//! What the service tells the outside world about: the kinds of change that leave an event in
//! the outbox, for webhooks and live pages.

/// The type of an event, as webhooks and streams name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    ReservationCreated,
    ReservationConfirmed,
    ReservationCancelled,
    ReservationMoved,
    ReservationWaitlisted,
    ReservationPromoted,
    ReservationExpired,
    VoucherClaimed,
    ClaimRedeemed,
    VoucherSoldOut,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        Self::ReservationCreated,
        Self::ReservationConfirmed,
        Self::ReservationCancelled,
        Self::ReservationMoved,
        Self::ReservationWaitlisted,
        Self::ReservationPromoted,
        Self::ReservationExpired,
        Self::VoucherClaimed,
        Self::ClaimRedeemed,
        Self::VoucherSoldOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReservationCreated => "reservation.created",
            Self::ReservationConfirmed => "reservation.confirmed",
            Self::ReservationCancelled => "reservation.cancelled",
            Self::ReservationMoved => "reservation.moved",
            Self::ReservationWaitlisted => "reservation.waitlisted",
            Self::ReservationPromoted => "reservation.promoted",
            Self::ReservationExpired => "reservation.expired",
            Self::VoucherClaimed => "voucher.claimed",
            Self::ClaimRedeemed => "claim.redeemed",
            Self::VoucherSoldOut => "voucher.sold_out",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// The kind of resource the payload is.
    pub fn resource(self) -> &'static str {
        match self {
            Self::VoucherClaimed | Self::ClaimRedeemed => "claim",
            Self::VoucherSoldOut => "voucher",
            _ => "reservation",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("reservation.eaten"), None);
    }
}
