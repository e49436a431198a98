//! The voucher drop: the public event list, claims under a rush, own claims, and the admin's
//! books and vouchers.
//!
//! A claim first asks the admission gate (one Redis round trip). Once a voucher is known to be
//! sold out, or the user is known to have claimed it, the answer comes from the gate alone.
//! Otherwise the database decides in one guarded transaction (shared by the claims that arrive
//! meanwhile, see `claim_batch`), and the gate is corrected from its answer. The gate failing never fails a claim: the database is always the authority.

use crate::auth::AuthService;
use crate::claim_batch::ClaimBatcher;
use crate::error::{AppError, Conflict};
use crate::Deps;
use domain::audit::{AuditAction, AuditNote};
use domain::voucher::{
    Book, BookDraft, BookId, Claim, ClaimId, ClaimWindow, Quantity, Voucher, VoucherCode, VoucherId,
};
use domain::{Actor, Page, PageRequest, RedemptionCode};
use ports::{
    Admission, AdmissionGate, ClaimError, Clock, CreateVoucherError, NewVoucher, RedeemError,
    UpdateVoucherError, UseClaimError, VoucherChanges, VoucherRepository,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Input of a new voucher, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherInput {
    pub book_id: i64,
    pub code: String,
    pub quantity: i64,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
}

/// A partial voucher edit: absent fields keep their value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoucherPatch {
    pub quantity: Option<i64>,
    pub closed: Option<bool>,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
}

#[derive(Clone)]
pub struct VoucherService {
    vouchers: Arc<dyn VoucherRepository>,
    gate: Arc<dyn AdmissionGate>,
    clock: Arc<dyn Clock>,
    sold_out: Arc<SoldOutMemo>,
    /// Admitted claims go to the database through this: one commit per batch under a rush.
    batcher: Arc<ClaimBatcher>,
    /// Per voucher, this process's latest seeding of the gate (see `seed_gate`).
    seeding: Arc<Mutex<HashMap<VoucherId, Seed>>>,
}

/// One seeding of the gate: done once, however many presses wait for it.
struct Seed {
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
struct SoldOutMemo {
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

impl std::fmt::Debug for VoucherService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoucherService").finish_non_exhaustive()
    }
}

/// Counts a claim's outcome and which layer answered it: `memo`, `gate` or `database`.
fn count_claim(outcome: &'static str, answered_by: &'static str) {
    metrics::counter!("voucher_claims_total", "outcome" => outcome, "answered_by" => answered_by)
        .increment(1);
}

/// Gate failures only cost speed; they are logged, never returned.
fn hint<T>(outcome: Result<T, ports::BackendError>, what: &str) -> Option<T> {
    outcome
        .map_err(|error| tracing::warn!(%error, "admission gate: {what} failed"))
        .ok()
}

impl VoucherService {
    pub fn new(deps: &Deps) -> Self {
        Self {
            vouchers: deps.vouchers.clone(),
            gate: deps.gate.clone(),
            clock: deps.clock.clone(),
            sold_out: Arc::default(),
            batcher: ClaimBatcher::new(deps.vouchers.clone(), deps.clock.clone()),
            seeding: Arc::default(),
        }
    }

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
        Ok(self.vouchers.list_live(self.clock.now()).await?)
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
                    if let Ok(Some(v)) = self.vouchers.get_voucher(id).await {
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
                .vouchers
                .get_voucher(id)
                .await?
                .ok_or(AppError::NotFound("voucher"))?;
            hint(self.gate.seed(id, voucher.remaining).await, "seed");
            Ok::<(), AppError>(())
        })
        .await?;
        Ok(())
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
        Ok(self.vouchers.list_user_claims(actor.user_id, page).await?)
    }

    /// A shop (an admin) redeems a claim by the code its claimer shows: marks it used, once.
    ///
    /// # Errors
    /// `Forbidden`, `Invalid::RedemptionCode` for something that cannot be a code, `NotFound`
    /// for an unknown code, `Conflict::AlreadyUsed`.
    pub async fn redeem(&self, actor: &Actor, typed: &str) -> Result<Claim, AppError> {
        AuthService::require_admin(actor)?;
        let code = RedemptionCode::parse(typed)?;
        let now = self.clock.now();
        let note = AuditNote::by(actor, now, AuditAction::ClaimRedeemed, None).change(
            "used_at",
            None::<OffsetDateTime>,
            now,
        );
        self.vouchers
            .redeem(&code, now, note)
            .await
            .map_err(|e| match e {
                RedeemError::NotFound => AppError::NotFound("redemption code"),
                RedeemError::AlreadyUsed { .. } => Conflict::AlreadyUsed.into(),
                RedeemError::Backend(b) => b.into(),
            })
    }

    /// Marks one of the actor's claims as used.
    ///
    /// # Errors
    /// `NotFound` (unknown or someone else's), `Conflict::AlreadyUsed`.
    pub async fn use_claim(&self, actor: &Actor, id: ClaimId) -> Result<Claim, AppError> {
        self.vouchers
            .use_claim(actor.user_id, id, self.clock.now())
            .await
            .map_err(|e| match e {
                UseClaimError::NotFound => AppError::NotFound("claim"),
                UseClaimError::AlreadyUsed => Conflict::AlreadyUsed.into(),
                UseClaimError::Backend(b) => b.into(),
            })
    }

    /// # Errors
    /// `Forbidden`, `Invalid::Book`.
    pub async fn create_book(
        &self,
        actor: &Actor,
        title: &str,
        author: Option<&str>,
        cover_url: Option<&str>,
    ) -> Result<Book, AppError> {
        AuthService::require_admin(actor)?;
        let draft = BookDraft::new(title, author, cover_url)?;
        let now = self.clock.now();
        let note = AuditNote::by(actor, now, AuditAction::BookCreated, None)
            .set("title", draft.title.as_str())
            .set("author", draft.author.clone())
            .set("cover_url", draft.cover_url.clone());
        Ok(self.vouchers.create_book(draft, now, note).await?)
    }

    /// # Errors
    /// `Forbidden`.
    pub async fn list_books(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Book>, AppError> {
        AuthService::require_admin(actor)?;
        Ok(self.vouchers.list_books(page).await?)
    }

    /// # Errors
    /// `Forbidden`, `Invalid::Voucher`, `NotFound` for the book, `Conflict::DuplicateVoucherCode`.
    pub async fn create_voucher(
        &self,
        actor: &Actor,
        input: VoucherInput,
    ) -> Result<Voucher, AppError> {
        AuthService::require_admin(actor)?;
        let new = NewVoucher {
            book_id: BookId(input.book_id),
            code: VoucherCode::parse(&input.code)?,
            quantity: Quantity::new(input.quantity)?,
            window: ClaimWindow::new(input.opens_at, input.closes_at)?,
            now: self.clock.now(),
        };
        let note = AuditNote::by(actor, new.now, AuditAction::VoucherCreated, None)
            .set("book_id", new.book_id.0)
            .set("code", new.code.as_str())
            .set("quantity", new.quantity.get())
            .set("opens_at", new.window.opens_at)
            .set("closes_at", new.window.closes_at);
        self.vouchers
            .create_voucher(new, note)
            .await
            .map_err(|e| match e {
                CreateVoucherError::DuplicateCode => Conflict::DuplicateVoucherCode.into(),
                CreateVoucherError::BookNotFound => AppError::NotFound("book"),
                CreateVoucherError::Backend(b) => b.into(),
            })
    }

    /// # Errors
    /// `Forbidden`.
    pub async fn list_vouchers(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Voucher>, AppError> {
        AuthService::require_admin(actor)?;
        Ok(self.vouchers.list_vouchers(page).await?)
    }

    /// Grows the quantity, switches the voucher on or off, or moves its window.
    ///
    /// # Errors
    /// `Forbidden`, `Invalid::Voucher` (shrinking quantity, bad window), `NotFound`.
    pub async fn update_voucher(
        &self,
        actor: &Actor,
        id: VoucherId,
        patch: VoucherPatch,
    ) -> Result<Voucher, AppError> {
        AuthService::require_admin(actor)?;
        let quantity = patch.quantity.map(Quantity::new).transpose()?;
        let current = self
            .vouchers
            .get_voucher(id)
            .await?
            .ok_or(AppError::NotFound("voucher"))?;
        if let Some(q) = quantity {
            current.grow_to(q)?;
        }
        let window = if patch.opens_at.is_some() || patch.closes_at.is_some() {
            Some(ClaimWindow::new(
                patch.opens_at.or(current.window.opens_at),
                patch.closes_at.or(current.window.closes_at),
            )?)
        } else {
            None
        };
        let changes = VoucherChanges {
            quantity,
            closed: patch.closed,
            window,
        };
        if changes == VoucherChanges::default() {
            // An empty patch changes nothing: the answer is the voucher as it is.
            return Ok(current);
        }
        let mut note = AuditNote::by(
            actor,
            self.clock.now(),
            AuditAction::VoucherChanged,
            Some(id.0),
        );
        if let Some(q) = changes.quantity {
            note = note.change("quantity", current.quantity, q.get());
        }
        if let Some(closed) = changes.closed {
            note = note.change("closed", current.closed, closed);
        }
        if let Some(w) = changes.window {
            note = note
                .change("opens_at", current.window.opens_at, w.opens_at)
                .change("closes_at", current.window.closes_at, w.closes_at);
        }
        let updated = self
            .vouchers
            .update_voucher(id, changes, note)
            .await
            .map_err(|e| match e {
                UpdateVoucherError::NotFound => AppError::NotFound("voucher"),
                UpdateVoucherError::QuantityShrinks { current } => {
                    domain::voucher::VoucherRuleError::QuantityShrinks { current }.into()
                }
                UpdateVoucherError::Backend(b) => b.into(),
            })?;
        // The gate re-seeds from the database on the next claim; a raised quantity reopens the
        // voucher here at once (other processes within `SOLD_OUT_MEMO`).
        self.sold_out.forget(id);
        hint(self.gate.forget(id).await, "forget");
        self.seeding
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        Ok(updated)
    }

    /// Who claimed a voucher, oldest first.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn voucher_claims(
        &self,
        actor: &Actor,
        id: VoucherId,
        page: PageRequest,
    ) -> Result<Page<Claim>, AppError> {
        AuthService::require_admin(actor)?;
        if self.vouchers.get_voucher(id).await?.is_none() {
            return Err(AppError::NotFound("voucher"));
        }
        Ok(self.vouchers.list_voucher_claims(id, page).await?)
    }
}
