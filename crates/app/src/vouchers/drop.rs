//! The drop's hot path. A press is answered, in this order, by what this process remembers (a
//! voucher seen sold out a moment ago), by the admission gate (one Redis round trip: a repeat
//! claimer, or no units left), and only then by the database, in one guarded transaction shared
//! by the claims that arrive meanwhile (`claim_batch`). The gate is corrected from the
//! database's answer, and the gate failing never fails a claim: the database is the authority.

use super::{count_claim, hint, VoucherService};
use crate::error::{AppError, Conflict};
use domain::voucher::{Claim, ClaimId, Voucher, VoucherId};
use domain::{Actor, Page, PageRequest};
use ports::{Admission, ClaimError, UseClaimError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One seeding of the gate: done once, however many presses wait for it.
pub(super) struct Seed {
    done: Arc<tokio::sync::OnceCell<()>>,
    started: Instant,
}

impl Seed {
    fn new() -> Self {
        Self {
            done: Arc::default(),
            started: Instant::now(),
        }
    }
}

/// A gate seeded this recently by this process is not seeded again by the presses that were
/// waiting for that seed; a gate found empty later (Redis restarted, the voucher edited) is.
const RESEED_AFTER: Duration = Duration::from_millis(500);

/// How long this process trusts its own "sold out" without asking anyone. A quantity only
/// grows, so a voucher stays sold out until an admin raises it: a raise on this process clears
/// the memo at once, one on another process reopens the voucher here within this time.
const SOLD_OUT_MEMO: Duration = Duration::from_secs(1);

/// While the gate says "none left" but the record still shows units (claims in flight), the
/// record is asked again at most this often per voucher and process: at most 50 small reads a
/// second, and every press between the last claim's commit and the memo costs a Redis round
/// trip, so the memo should follow that commit closely.
const RECHECK_EVERY: Duration = Duration::from_millis(20);

/// Vouchers this process has seen sold out, and when. During a drop almost every press comes
/// after the last unit went; those are answered from here, touching neither the database nor
/// Redis.
#[derive(Debug, Default)]
pub(super) struct SoldOutMemo {
    sold_out: Mutex<HashMap<VoucherId, Instant>>,
    /// When the record was last asked whether a voucher the gate calls sold out really is.
    checked: Mutex<HashMap<VoucherId, Instant>>,
}

impl SoldOutMemo {
    fn holds(&self, id: VoucherId) -> bool {
        let memo = self.sold_out.lock().unwrap_or_else(PoisonError::into_inner);
        memo.get(&id)
            .is_some_and(|seen| seen.elapsed() < SOLD_OUT_MEMO)
    }

    fn remember(&self, id: VoucherId) {
        let mut memo = self.sold_out.lock().unwrap_or_else(PoisonError::into_inner);
        memo.retain(|_, seen| seen.elapsed() < SOLD_OUT_MEMO);
        memo.insert(id, Instant::now());
    }

    fn forget(&self, id: VoucherId) {
        self.sold_out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// True when it is time to ask the record again about `id` (and notes that it is asked).
    fn time_to_check(&self, id: VoucherId) -> bool {
        let mut checked = self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        checked.retain(|_, at| at.elapsed() < RECHECK_EVERY);
        if checked.contains_key(&id) {
            return false;
        }
        checked.insert(id, Instant::now());
        true
    }
}

impl VoucherService {
    /// True when this process saw `id` sold out a moment ago: a press can be answered
    /// `sold_out` before anything else is asked.
    pub fn known_sold_out(&self, id: VoucherId) -> bool {
        let known = self.sold_out.holds(id);
        if known {
            count_claim("sold_out", "memo");
        }
        known
    }

    /// The vouchers on the event page right now: claimable, or opening later (their `opens_at`
    /// says when).
    ///
    /// # Errors
    /// `Backend` only.
    pub async fn live(&self) -> Result<Vec<Voucher>, AppError> {
        Ok(self.catalog.list_live(self.clock.now()).await?)
    }

    /// Claims one voucher for the actor.
    ///
    /// # Errors
    /// `NotFound`, `Conflict::AlreadyClaimed` (also after it sold out), `Conflict::SoldOut`,
    /// `Invalid::ClaimWindow` before it opens or after it closes.
    pub async fn claim(&self, actor: &Actor, id: VoucherId) -> Result<Claim, AppError> {
        if self.sold_out.holds(id) {
            count_claim("sold_out", "memo");
            return Err(Conflict::SoldOut.into());
        }
        let user = actor.user_id;
        // From here the press counts as on its way, so that a write about to begin waits for
        // the gate's answer to it rather than leaving it for the write after.
        let press = self.batcher.on_the_way(id);
        let mut admission = hint(self.gate.admit(id, user).await, "admit");
        if admission == Some(Admission::Unknown) {
            // Seed the gate from the database, then ask again once.
            self.seed_gate(id).await?;
            admission = hint(self.gate.admit(id, user).await, "admit");
        }
        match admission {
            Some(Admission::AlreadyClaimed) => {
                count_claim("already_claimed", "gate");
                return Err(Conflict::AlreadyClaimed.into());
            }
            Some(Admission::SoldOut) => {
                drop(press);
                count_claim("sold_out", "gate");
                // The gate's count can touch zero while admitted claims are still in flight,
                // and a refused one gives its unit back: only the database's `remaining` says
                // the voucher is really gone, and only then is it remembered. The record is
                // asked at most every `RECHECK_EVERY`, so a rush does not queue on it.
                if self.sold_out.time_to_check(id) {
                    if let Ok(Some(v)) = self.catalog.get_voucher(id).await {
                        if v.remaining == 0 {
                            self.sold_out.remember(id);
                        }
                    }
                }
                return Err(Conflict::SoldOut.into());
            }
            _ => {}
        }
        let admitted = admission == Some(Admission::Admitted);
        let outcome = self.batcher.claim(press, user).await;
        let label = match &outcome {
            Ok(_) => "claimed",
            Err(ClaimError::AlreadyClaimed) => "already_claimed",
            Err(ClaimError::SoldOut) => "sold_out",
            Err(ClaimError::NotOpenYet | ClaimError::Closed) => "closed",
            Err(ClaimError::NotFound) => "not_found",
            Err(ClaimError::Backend(_)) => "error",
        };
        count_claim(label, "database");
        match &outcome {
            // An admitted claimer is in the gate's set already (admission adds them).
            Ok(_) if !admitted => {
                hint(self.gate.claimed(id, user).await, "record claim");
            }
            Ok(_) => {}
            Err(ClaimError::SoldOut) => {
                self.sold_out.remember(id);
                hint(self.gate.sold_out(id).await, "mark sold out");
            }
            Err(e) => {
                if admitted {
                    hint(self.gate.give_back(id, user).await, "give back");
                }
                if matches!(e, ClaimError::AlreadyClaimed) {
                    hint(self.gate.claimed(id, user).await, "record claim");
                }
            }
        }
        outcome.map_err(|e| match e {
            ClaimError::NotFound => AppError::NotFound("voucher"),
            ClaimError::AlreadyClaimed => Conflict::AlreadyClaimed.into(),
            ClaimError::SoldOut => Conflict::SoldOut.into(),
            ClaimError::NotOpenYet => domain::voucher::ClaimRefusal::NotOpenYet.into(),
            ClaimError::Closed => domain::voucher::ClaimRefusal::Closed.into(),
            ClaimError::Backend(b) => b.into(),
        })
    }

    /// Seeds the gate with the voucher's `remaining` from the record. The first presses of a
    /// drop all find the gate empty at once: one of them reads the record and seeds while the
    /// others wait for that seed, and all of them go on together when it is done (rather than
    /// each reading the record: a herd of reads that the claims would queue behind on the
    /// database pool).
    async fn seed_gate(&self, id: VoucherId) -> Result<(), AppError> {
        let seed = {
            let mut seeding = self.seeding.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = seeding.entry(id).or_insert_with(Seed::new);
            if entry.done.initialized() && entry.started.elapsed() >= RESEED_AFTER {
                *entry = Seed::new();
            }
            entry.done.clone()
        };
        seed.get_or_try_init(|| async {
            let voucher = self
                .catalog
                .get_voucher(id)
                .await?
                .ok_or(AppError::NotFound("voucher"))?;
            hint(self.gate.seed(id, voucher.remaining).await, "seed");
            Ok::<(), AppError>(())
        })
        .await?;
        Ok(())
    }

    /// A voucher was edited: the gate re-seeds from the database on the next claim, and a
    /// raised quantity reopens the voucher here at once (other processes within
    /// `SOLD_OUT_MEMO`).
    pub(super) async fn voucher_changed(&self, id: VoucherId) {
        self.sold_out.forget(id);
        hint(self.gate.forget(id).await, "forget");
        self.seeding
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// The actor's claims, newest first.
    ///
    /// # Errors
    /// `Backend` only.
    pub async fn my_claims(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Claim>, AppError> {
        Ok(self.claims.list_user_claims(actor.user_id, page).await?)
    }

    /// Marks one of the actor's claims as used.
    ///
    /// # Errors
    /// `NotFound` (unknown or someone else's), `Conflict::AlreadyUsed`.
    pub async fn use_claim(&self, actor: &Actor, id: ClaimId) -> Result<Claim, AppError> {
        self.claims
            .use_claim(actor.user_id, id, self.clock.now())
            .await
            .map_err(|e| match e {
                UseClaimError::NotFound => AppError::NotFound("claim"),
                UseClaimError::AlreadyUsed => Conflict::AlreadyUsed.into(),
                UseClaimError::Backend(b) => b.into(),
            })
    }
}
