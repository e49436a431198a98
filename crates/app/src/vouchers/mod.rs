//! The voucher drop: the public event list, claims under a rush, each reader's own claims, and
//! the admin's books, vouchers and redemptions. One service, two concerns in two files:
//! `drop` (the rush: answered from memory, then the admission gate, then the database) and
//! `admin` (the catalog and the shop counter).

mod admin;
mod claim_batch;
mod drop;

use claim_batch::ClaimBatcher;
use drop::{Seed, SoldOutMemo};

use crate::Deps;
use domain::voucher::VoucherId;
use ports::{AdmissionGate, Clock, VoucherCatalog, VoucherClaims};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
    catalog: Arc<dyn VoucherCatalog>,
    claims: Arc<dyn VoucherClaims>,
    gate: Arc<dyn AdmissionGate>,
    clock: Arc<dyn Clock>,
    sold_out: Arc<SoldOutMemo>,
    /// Admitted claims go to the database through this: one commit per batch under a rush.
    batcher: Arc<ClaimBatcher>,
    /// Per voucher, this process's latest seeding of the gate (see `seed_gate`).
    seeding: Arc<Mutex<HashMap<VoucherId, Seed>>>,
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
            catalog: deps.catalog.clone(),
            claims: deps.claims.clone(),
            gate: deps.gate.clone(),
            clock: deps.clock.clone(),
            sold_out: Arc::default(),
            batcher: ClaimBatcher::new(deps.claims.clone(), deps.clock.clone()),
            seeding: Arc::default(),
        }
    }
}
