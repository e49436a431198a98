//! Log-in throttling (OWASP ASVS 2.2, and OWASP's device cookies): failed log-ins are limited
//! per account and client address together, per account, and per client address, shared by
//! every process. A browser that has logged in to the account before (a trusted device) is
//! limited on its own bucket instead, so nobody can lock the owner out by failing from
//! elsewhere.
//!
//! An attempt is paid for before its password is hashed: [`LoginThrottle::reserve`] takes a
//! token from every bucket at once, or from none. Concurrent guesses therefore cannot all pass a
//! check made before any of them was counted.

use crate::error::BackendError;
use async_trait::async_trait;
use std::time::Duration;

/// Who is trying: the account name as typed (lower-cased; unknown names count the same), the
/// client's address, and the trusted device it comes from, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub account: String,
    pub client: String,
    /// The id of a device cookie this account issued, already verified.
    pub device: Option<String>,
}

/// The throttle's answer before a log-in is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// One token was taken from each of the attempt's buckets: the password may be checked.
    Reserved,
    /// A bucket is empty (nothing was taken): try again after this long.
    Wait(Duration),
}

/// What a successful log-in does to a bucket it paid into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSuccess {
    /// The account's own counts start again.
    Clear,
    /// Only the attempt's token is given back: an address spraying many accounts stays
    /// limited by its failures, not by its successes.
    Refund,
}

/// One token bucket an attempt pays into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub key: String,
    /// Failures allowed per window (and the bucket's size).
    pub capacity: u32,
    pub on_success: OnSuccess,
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait LoginThrottle: Send + Sync {
    /// Takes one token from every bucket of `attempt`, atomically: all of them when each has
    /// one, none otherwise. A failed log-in keeps what it took.
    ///
    /// # Errors
    /// `BackendError` when the shared store is unreachable (callers then let the attempt
    /// through: the password hash still protects the account).
    async fn reserve(&self, attempt: &Attempt) -> Result<Throttle, BackendError>;

    /// A successful log-in: clears the account's buckets and gives the address's token back.
    ///
    /// # Errors
    /// `BackendError` when the shared store is unreachable.
    async fn succeeded(&self, attempt: &Attempt) -> Result<(), BackendError>;

    /// An attempt that was reserved but never checked (the hashing workers were busy): gives
    /// every token back.
    ///
    /// # Errors
    /// `BackendError` when the shared store is unreachable.
    async fn give_back(&self, attempt: &Attempt) -> Result<(), BackendError>;
}

/// The limits: failures allowed within `window`, per key kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    pub window: Duration,
    /// The same account from the same address, or from the same trusted device: the tight
    /// limit.
    pub per_account_and_client: u32,
    /// One account from anywhere but its trusted devices: generous, and never in the owner's
    /// way once they have logged in from their browser.
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
    /// The buckets `attempt` pays into, the same for every store.
    ///
    /// A trusted device pays only into its own bucket (OWASP's device cookie): failures from
    /// anywhere else, however many, never stand between the owner's browser and the account.
    pub fn buckets(&self, attempt: &Attempt) -> Vec<Bucket> {
        let bucket = |key: String, capacity, on_success| Bucket {
            key,
            capacity,
            on_success,
        };
        match &attempt.device {
            Some(device) => vec![bucket(
                format!("device:{}|{device}", attempt.account),
                self.per_account_and_client,
                OnSuccess::Clear,
            )],
            None => vec![
                bucket(
                    format!("pair:{}|{}", attempt.account, attempt.client),
                    self.per_account_and_client,
                    OnSuccess::Clear,
                ),
                bucket(
                    format!("account:{}", attempt.account),
                    self.per_account,
                    OnSuccess::Clear,
                ),
                bucket(
                    format!("client:{}", attempt.client),
                    self.per_client,
                    OnSuccess::Refund,
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trusted_device_pays_only_into_its_own_bucket() {
        let limits = ThrottleLimits::default();
        let mut attempt = Attempt {
            account: "alice".into(),
            client: "10.0.0.1".into(),
            device: None,
        };
        let keys: Vec<_> = limits
            .buckets(&attempt)
            .into_iter()
            .map(|b| b.key)
            .collect();
        assert_eq!(
            keys,
            ["pair:alice|10.0.0.1", "account:alice", "client:10.0.0.1"]
        );
        attempt.device = Some("d1".into());
        let buckets = limits.buckets(&attempt);
        assert_eq!(buckets.len(), 1);
        assert_eq!(buckets[0].key, "device:alice|d1");
        assert_eq!(buckets[0].capacity, limits.per_account_and_client);
    }
}
