//! Group commit for the claims of one voucher.
//!
//! In a drop every admitted claim needs the voucher's row, and each commit holds that row's
//! lock until its log is flushed: claims one by one queue behind each other, and the last of
//! a few hundred waits for all the flushes before it. Here, claims that arrive while a write
//! for their voucher is under way wait for the next write, which stores all of them with one
//! commit. A lone claim is written at once: no timer, nothing added when there is no rush.
//!
//! The writer runs as a task of its own, not inside any one request, so a client that hangs up
//! cannot abandon the claims of the others half-way.

use domain::voucher::{Claim, VoucherId};
use domain::UserId;
use ports::{ClaimError, Clock, VoucherRepository};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// The most claims one write stores; more waiting go in the next one.
const MOST_PER_WRITE: usize = 500;

type Answer = oneshot::Sender<Result<Claim, ClaimError>>;

pub(crate) struct ClaimBatcher {
    vouchers: Arc<dyn VoucherRepository>,
    clock: Arc<dyn Clock>,
    /// Claims waiting for a write, per voucher. A voucher is present exactly while a writer
    /// task runs for it.
    waiting: Mutex<HashMap<VoucherId, Vec<(UserId, Answer)>>>,
}

impl ClaimBatcher {
    pub(crate) fn new(vouchers: Arc<dyn VoucherRepository>, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            vouchers,
            clock,
            waiting: Mutex::default(),
        })
    }

    /// Claims `voucher` for `user` in the next write for that voucher, starting one if none is
    /// under way, and waits for its outcome.
    pub(crate) async fn claim(
        self: &Arc<Self>,
        user: UserId,
        voucher: VoucherId,
    ) -> Result<Claim, ClaimError> {
        let (answer, outcome) = oneshot::channel();
        let start_writer = {
            let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            match waiting.get_mut(&voucher) {
                Some(queue) => {
                    queue.push((user, answer));
                    false
                }
                None => {
                    waiting.insert(voucher, vec![(user, answer)]);
                    true
                }
            }
        };
        if start_writer {
            tokio::spawn(self.clone().write_while_waiting(voucher));
        }
        outcome.await.unwrap_or_else(|_| {
            Err(ClaimError::Backend(ports::BackendError::msg(
                "the claim's writer stopped before answering",
            )))
        })
    }

    /// Writes `voucher`'s waiting claims, a batch at a time, until none are left.
    async fn write_while_waiting(self: Arc<Self>, voucher: VoucherId) {
        // Should this task end early (a panic), the voucher's queue goes with it: its callers
        // are answered with an error, and the next claim starts a new writer.
        let mut guard = QueueGuard {
            batcher: &self,
            voucher,
            finished: false,
        };
        loop {
            let batch = {
                let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(queue) = waiting.get_mut(&voucher) else {
                    break;
                };
                if queue.is_empty() {
                    waiting.remove(&voucher);
                    break;
                }
                let n = queue.len().min(MOST_PER_WRITE);
                queue.drain(..n).collect::<Vec<_>>()
            };
            self.write(voucher, batch).await;
        }
        guard.finished = true;
    }

    /// Stores one batch and answers each caller. A user twice in one batch (a double press)
    /// is written once; the second press gets what a press after the first would get.
    async fn write(&self, voucher: VoucherId, batch: Vec<(UserId, Answer)>) {
        let mut users: Vec<UserId> = Vec::with_capacity(batch.len());
        let mut answers: Vec<Vec<Answer>> = Vec::with_capacity(batch.len());
        for (user, answer) in batch {
            match users.iter().position(|u| *u == user) {
                Some(at) => answers[at].push(answer),
                None => {
                    users.push(user);
                    answers.push(vec![answer]);
                }
            }
        }
        metrics::histogram!("voucher_claim_batch_size").record(users.len() as f64);
        let now = self.clock.now();
        let started = std::time::Instant::now();
        let outcomes = match users.as_slice() {
            [one] => vec![self.vouchers.claim(*one, voucher, now).await],
            many => self.vouchers.claim_many(many, voucher, now).await,
        };
        metrics::histogram!("voucher_claim_write_seconds").record(started.elapsed().as_secs_f64());
        for (outcome, answers) in outcomes.into_iter().zip(answers) {
            let mut answers = answers.into_iter();
            let repeat = match &outcome {
                Ok(_) => Err(ClaimError::AlreadyClaimed),
                Err(refused) => Err(refused.clone()),
            };
            if let Some(first) = answers.next() {
                let _ = first.send(outcome);
            }
            for again in answers {
                let _ = again.send(repeat.clone());
            }
        }
    }
}

/// Removes a voucher's queue if its writer ends without emptying it.
struct QueueGuard<'a> {
    batcher: &'a ClaimBatcher,
    voucher: VoucherId,
    finished: bool,
}

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.batcher
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.voucher);
        }
    }
}
