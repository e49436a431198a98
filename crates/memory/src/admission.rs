//! The voucher admission gate, in-process: per voucher, a count of units left and the set of
//! users who claimed, so that a sold-out voucher or a repeat claimer is answered without the
//! database.
//!
//! Same contract as the Redis gate: the count is a hint seeded from the database and trusted
//! for `COUNT_TTL`, then re-seeded, so any drift heals by itself; the database's guarded update
//! is what prevents over-issue.

use crate::guard;
use async_trait::async_trait;
use domain::voucher::VoucherId;
use domain::UserId;
use ports::{Admission, AdmissionGate, BackendError};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a seeded count is trusted before it is re-read from the database.
const COUNT_TTL: Duration = Duration::from_secs(60);
/// How long the set of claimers is kept after the last claim.
const CLAIMERS_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug)]
struct Expiring<T> {
    value: T,
    expires: Instant,
}

impl<T> Expiring<T> {
    fn live(&self, now: Instant) -> bool {
        self.expires > now
    }
}

#[derive(Debug, Default)]
struct Gate {
    left: HashMap<VoucherId, Expiring<u32>>,
    claimers: HashMap<VoucherId, Expiring<HashSet<UserId>>>,
}

impl Gate {
    fn live_count(&mut self, voucher: VoucherId, now: Instant) -> Option<&mut u32> {
        self.left
            .get_mut(&voucher)
            .filter(|c| c.live(now))
            .map(|c| &mut c.value)
    }

    fn add_claimer(&mut self, voucher: VoucherId, user: UserId, now: Instant) {
        let entry = self.claimers.entry(voucher).or_insert_with(|| Expiring {
            value: HashSet::new(),
            expires: now,
        });
        if !entry.live(now) {
            entry.value.clear();
        }
        entry.value.insert(user);
        entry.expires = now + CLAIMERS_TTL;
    }

    fn set_count(&mut self, voucher: VoucherId, value: u32, now: Instant) {
        self.left.insert(
            voucher,
            Expiring {
                value,
                expires: now + COUNT_TTL,
            },
        );
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemoryAdmission {
    gate: Arc<Mutex<Gate>>,
}

impl MemoryAdmission {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl AdmissionGate for MemoryAdmission {
    async fn admit(&self, voucher: VoucherId, user: UserId) -> Result<Admission, BackendError> {
        let now = Instant::now();
        let mut gate = guard(&self.gate);
        let known_claimer = gate
            .claimers
            .get(&voucher)
            .is_some_and(|c| c.live(now) && c.value.contains(&user));
        if known_claimer {
            return Ok(Admission::AlreadyClaimed);
        }
        let admission = match gate.live_count(voucher, now) {
            None => Admission::Unknown,
            Some(0) => Admission::SoldOut,
            Some(left) => {
                *left -= 1;
                Admission::Admitted
            }
        };
        if admission == Admission::Admitted {
            // A claimer at once: a second press while the first is in flight holds no unit.
            gate.add_claimer(voucher, user, now);
        }
        Ok(admission)
    }

    async fn seed(&self, voucher: VoucherId, remaining: u32) -> Result<(), BackendError> {
        let now = Instant::now();
        let mut gate = guard(&self.gate);
        if gate.live_count(voucher, now).is_none() {
            gate.set_count(voucher, remaining, now);
        }
        Ok(())
    }

    async fn claimed(&self, voucher: VoucherId, user: UserId) -> Result<(), BackendError> {
        guard(&self.gate).add_claimer(voucher, user, Instant::now());
        Ok(())
    }

    async fn give_back(&self, voucher: VoucherId, user: UserId) -> Result<(), BackendError> {
        let mut gate = guard(&self.gate);
        if let Some(claimers) = gate.claimers.get_mut(&voucher) {
            claimers.value.remove(&user);
        }
        // Only to a count that still exists: an expired one is re-seeded from the database.
        if let Some(left) = gate.live_count(voucher, Instant::now()) {
            *left += 1;
        }
        Ok(())
    }

    async fn sold_out(&self, voucher: VoucherId) -> Result<(), BackendError> {
        guard(&self.gate).set_count(voucher, 0, Instant::now());
        Ok(())
    }

    async fn forget(&self, voucher: VoucherId) -> Result<(), BackendError> {
        guard(&self.gate).left.remove(&voucher);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: VoucherId = VoucherId(1);

    #[tokio::test]
    async fn an_unseeded_voucher_is_unknown_and_a_seeded_one_admits_until_empty() {
        let g = MemoryAdmission::new();
        assert_eq!(g.admit(V, UserId(1)).await.ok(), Some(Admission::Unknown));
        g.seed(V, 2).await.expect("seed");
        g.seed(V, 100)
            .await
            .expect("a second seed does not overwrite");
        assert_eq!(g.admit(V, UserId(1)).await.ok(), Some(Admission::Admitted));
        assert_eq!(g.admit(V, UserId(2)).await.ok(), Some(Admission::Admitted));
        assert_eq!(g.admit(V, UserId(3)).await.ok(), Some(Admission::SoldOut));
        assert_eq!(
            g.admit(V, UserId(1)).await.ok(),
            Some(Admission::AlreadyClaimed),
            "an admitted user is a claimer at once"
        );
        g.give_back(V, UserId(2)).await.expect("give back");
        assert_eq!(g.admit(V, UserId(3)).await.ok(), Some(Admission::Admitted));
        assert_eq!(
            g.admit(V, UserId(2)).await.ok(),
            Some(Admission::SoldOut),
            "given back: no longer a claimer, and the unit went to user 3"
        );
    }

    #[tokio::test]
    async fn a_known_claimer_is_turned_away_and_forget_drops_only_the_count() {
        let g = MemoryAdmission::new();
        g.seed(V, 5).await.expect("seed");
        g.claimed(V, UserId(7)).await.expect("claimed");
        assert_eq!(
            g.admit(V, UserId(7)).await.ok(),
            Some(Admission::AlreadyClaimed)
        );
        g.forget(V).await.expect("forget");
        assert_eq!(g.admit(V, UserId(8)).await.ok(), Some(Admission::Unknown));
        assert_eq!(
            g.admit(V, UserId(7)).await.ok(),
            Some(Admission::AlreadyClaimed)
        );
        g.sold_out(V).await.expect("sold out");
        assert_eq!(g.admit(V, UserId(8)).await.ok(), Some(Admission::SoldOut));
    }
}
