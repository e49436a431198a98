//! The reconciliation check: counters compared with the ledgers they summarise.

use crate::error::BackendError;
use async_trait::async_trait;
use time::OffsetDateTime;

/// A counter that disagrees with its ledger, or a ledger that breaks a rule of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discrepancy {
    /// A slot's `confirmed` is not the sum of the seats of the confirmed reservations covering it.
    Slot {
        starts_at: OffsetDateTime,
        confirmed: i64,
        ledger: i64,
        /// The confirmed reservations covering the slot: `(id, seats)`.
        reservations: Vec<(i64, i64)>,
    },
    /// A voucher's `remaining` is not its quantity minus its claims.
    Voucher {
        voucher: i64,
        remaining: i64,
        expected: i64,
    },
    /// One user holds more than one claim on one voucher.
    DuplicateClaims {
        voucher: i64,
        user: i64,
        claims: i64,
    },
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Reconciliation: Send + Sync {
    /// Every discrepancy, read in one statement (so from one snapshot) and writing nothing:
    /// safe against a live database.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn discrepancies(&self) -> Result<Vec<Discrepancy>, BackendError>;
}
