//! Log-in throttling (OWASP ASVS 2.2): failed log-ins are limited per account and client
//! address together, per account, and per client address, shared by every process.

use crate::error::BackendError;
use async_trait::async_trait;
use std::time::Duration;

/// Who is trying: the account name as typed (lower-cased; unknown names count the same) and the
/// client's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub account: String,
    pub client: String,
}

/// The throttle's answer before a log-in is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// The attempt may be checked. `failures_on_record`: the account has failures that a
    /// success clears; without any, a success has nothing to clear and skips the store.
    Allowed { failures_on_record: bool },
    /// Too many failures lately: try again after this long.
    Wait(Duration),
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait LoginThrottle: Send + Sync {
    /// Whether `attempt` may be checked now.
    ///
    /// # Errors
    /// `BackendError` when the shared store is unreachable (callers then let the attempt
    /// through: the password hash still protects the account).
    async fn check(&self, attempt: &Attempt) -> Result<Throttle, BackendError>;

    /// Counts a failed log-in against every limit of `attempt`.
    ///
    /// # Errors
    /// `BackendError` when the shared store is unreachable.
    async fn failed(&self, attempt: &Attempt) -> Result<(), BackendError>;

    /// A successful log-in clears the account's counters (not the client's: an attacker
    /// spraying many accounts from one address stays limited).
    ///
    /// # Errors
    /// `BackendError` when the shared store is unreachable.
    async fn succeeded(&self, attempt: &Attempt) -> Result<(), BackendError>;
}

/// The limits: failures allowed within `window`, per key kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    pub window: Duration,
    /// The same account from the same address: the tight limit.
    pub per_account_and_client: u32,
    /// One account from anywhere: generous, so an attacker cannot lock a user out for long.
    pub per_account: u32,
    /// One address, any account: against spraying many accounts.
    pub per_client: u32,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account_and_client: 5,
            per_account: 50,
            per_client: 100,
        }
    }
}

impl ThrottleLimits {
    /// The keys of `attempt` and their limits, in the order every store checks them.
    pub fn keys(&self, attempt: &Attempt) -> [(String, u32); 3] {
        [
            (
                format!("pair:{}|{}", attempt.account, attempt.client),
                self.per_account_and_client,
            ),
            (format!("account:{}", attempt.account), self.per_account),
            (format!("client:{}", attempt.client), self.per_client),
        ]
    }
}
