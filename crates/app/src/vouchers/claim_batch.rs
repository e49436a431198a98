//! Group commit for the claims of one voucher.
//!
//! In a drop every admitted claim needs the voucher's row, and each commit holds that row's
//! lock until its log is flushed: claims one by one queue behind each other, and the last of
//! a few hundred waits for all the flushes before it. Here, claims that arrive while a write
//! for their voucher is under way wait for the next write, which stores all of them with one
//! commit.
//!
//! A write also waits for the presses of its voucher that were already on their way when it
//! began: past the sold-out memo and waiting for the admission gate's answer (one Redis round
//! trip, or the gate's seed). When a drop opens, a few hundred presses are in the gate at
//! once; without this the first admitted one would be written alone and all the others would
//! queue behind that write, so every winner waited for two writes. Presses that arrive after
//! the write began are not waited for, and the wait is bounded, so a stream of presses cannot
//! hold a write back. A lone claim, with nothing else on its way, is written at once: no
//! timer, nothing added when there is no rush.
//!
//! The writer runs as a task of its own, not inside any one request, so a client that hangs up
//! cannot abandon the claims of the others half-way.

use domain::voucher::{Claim, VoucherId};
use domain::UserId;
use ports::group_queue::GroupQueue;
use ports::{ClaimError, Clock, VoucherClaims};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};

/// The most claims one write stores; more waiting go in the next one.
const MOST_PER_WRITE: usize = 500;

/// The longest a write waits for the presses that were on their way when it began. Their
/// gate answers take one Redis round trip; this bound only matters if the gate hangs.
const MOST_WAIT_FOR_PRESSES_ON_THEIR_WAY: Duration = Duration::from_millis(20);

type Answer = oneshot::Sender<Result<Claim, ClaimError>>;

pub(crate) struct ClaimBatcher {
    claims: Arc<dyn VoucherClaims>,
    clock: Arc<dyn Clock>,
    /// Claims waiting for a write, per voucher.
    waiting: GroupQueue<VoucherId, (UserId, Answer)>,
    /// The presses on their way to a write, per voucher, that no write has begun waiting for.
    /// A voucher is present exactly while some are.
    waves: Mutex<HashMap<VoucherId, Arc<Wave>>>,
    /// `MOST_WAIT_FOR_PRESSES_ON_THEIR_WAY`, but for tests.
    most_wait: Duration,
}

/// Presses of one voucher on their way to the batcher.
#[derive(Default)]
struct Wave {
    on_their_way: AtomicUsize,
    all_arrived: Notify,
}

/// One press on its way to the batcher, from the moment it passed the sold-out memo until it
/// is queued for a write or turned away. Dropping it (an early answer, a hung-up client)
/// counts it out.
pub(crate) struct OnTheWay {
    batcher: Arc<ClaimBatcher>,
    voucher: VoucherId,
    wave: Arc<Wave>,
}

impl Drop for OnTheWay {
    fn drop(&mut self) {
        if self.wave.on_their_way.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        self.wave.all_arrived.notify_waiters();
        // The last of a wave that no write took leaves no entry behind. Presses join a wave
        // only under this lock, so a count read under it cannot grow meanwhile.
        let mut waves = self
            .batcher
            .waves
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if waves.get(&self.voucher).is_some_and(|current| {
            Arc::ptr_eq(current, &self.wave) && current.on_their_way.load(Ordering::Acquire) == 0
        }) {
            waves.remove(&self.voucher);
        }
    }
}

impl ClaimBatcher {
    pub(crate) fn new(claims: Arc<dyn VoucherClaims>, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            claims,
            clock,
            waiting: GroupQueue::default(),
            waves: Mutex::default(),
            most_wait: MOST_WAIT_FOR_PRESSES_ON_THEIR_WAY,
        })
    }

    /// Counts a press of `voucher` as on its way to a write, until the returned guard is
    /// passed to [`Self::claim`] or dropped.
    pub(crate) fn on_the_way(self: &Arc<Self>, voucher: VoucherId) -> OnTheWay {
        let wave = {
            let mut waves = self.waves.lock().unwrap_or_else(PoisonError::into_inner);
            let wave = waves.entry(voucher).or_default().clone();
            wave.on_their_way.fetch_add(1, Ordering::AcqRel);
            wave
        };
        OnTheWay {
            batcher: self.clone(),
            voucher,
            wave,
        }
    }

    /// Claims the press's voucher for `user` in the next write for that voucher, starting one
    /// if none is under way, and waits for its outcome.
    pub(crate) async fn claim(
        self: &Arc<Self>,
        press: OnTheWay,
        user: UserId,
    ) -> Result<Claim, ClaimError> {
        let voucher = press.voucher;
        let (answer, outcome) = oneshot::channel();
        let start_writer = self.waiting.push(voucher, (user, answer));
        // Queued first, counted out second: a write that waits for this press finds it queued.
        drop(press);
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
        let guard = self.waiting.worker(voucher);
        loop {
            self.wait_for_presses_on_their_way(voucher).await;
            let Some(batch) = self.waiting.next_batch(voucher, MOST_PER_WRITE) else {
                break;
            };
            self.write(voucher, batch).await;
        }
        guard.finished();
    }

    /// Waits until the presses of `voucher` that are on their way now have been queued or
    /// turned away (at most `most_wait`). Presses that start later form a new wave, which the
    /// next write waits for.
    async fn wait_for_presses_on_their_way(&self, voucher: VoucherId) {
        let wave = self
            .waves
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&voucher);
        let Some(wave) = wave else { return };
        let all_arrived = async {
            loop {
                let notified = wave.all_arrived.notified();
                tokio::pin!(notified);
                // Registered before the count is read, so a last press counted out in
                // between still wakes this wait.
                notified.as_mut().enable();
                if wave.on_their_way.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(self.most_wait, all_arrived).await;
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
            [one] => vec![self.claims.claim(*one, voucher, now).await],
            many => self.claims.claim_many(many, voucher, now).await,
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::voucher::{Book, BookId, ClaimId};
    use ports::mocks::{MockClock, MockVoucherClaims};
    use time::macros::datetime;
    use time::OffsetDateTime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 09:30 UTC);
    const VOUCHER: VoucherId = VoucherId(5);

    fn claim_of(user: UserId) -> Claim {
        Claim {
            id: ClaimId(user.0),
            user_id: user,
            voucher_id: VOUCHER,
            code: domain::RedemptionCode::from_random([7; 10]),
            book: Book {
                id: BookId(1),
                title: "Dune".into(),
                author: None,
                cover_url: None,
                created_at: NOW,
            },
            claimed_at: NOW,
            used_at: None,
        }
    }

    /// A batcher whose writes wait at most `most_wait` for presses on their way.
    fn batcher(vouchers: MockVoucherClaims, most_wait: Duration) -> Arc<ClaimBatcher> {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        Arc::new(ClaimBatcher {
            claims: Arc::new(vouchers),
            clock: Arc::new(clock),
            waiting: GroupQueue::default(),
            waves: Mutex::default(),
            most_wait,
        })
    }

    /// Lets every task that can run, run (the test runtime has one thread).
    async fn run_the_others() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_write_waits_for_the_presses_already_on_their_way() {
        let mut vouchers = MockVoucherClaims::new();
        // One write for both: the second press was in the gate when the first was queued.
        vouchers
            .expect_claim_many()
            .times(1)
            .withf(|users, voucher, _| users == [UserId(1), UserId(2)] && *voucher == VOUCHER)
            .returning(|users, _, _| users.iter().map(|u| Ok(claim_of(*u))).collect());
        vouchers.expect_claim().never();
        // A bound far beyond this test's run: only the press's arrival ends the wait.
        let batcher = batcher(vouchers, Duration::from_secs(600));
        let in_the_gate = batcher.on_the_way(VOUCHER);
        let first = tokio::spawn({
            let batcher = batcher.clone();
            async move {
                let press = batcher.on_the_way(VOUCHER);
                batcher.claim(press, UserId(1)).await
            }
        });
        run_the_others().await;
        assert!(
            !first.is_finished(),
            "the write went ahead without the press on its way"
        );
        let second = batcher.claim(in_the_gate, UserId(2)).await;
        assert_eq!(second.expect("claimed").user_id, UserId(2));
        assert_eq!(
            first.await.expect("joined").expect("claimed").user_id,
            UserId(1)
        );
    }

    #[tokio::test]
    async fn a_press_turned_away_or_stuck_in_the_gate_does_not_hold_the_write_back() {
        let mut vouchers = MockVoucherClaims::new();
        vouchers
            .expect_claim()
            .times(2)
            .returning(|user, _, _| Ok(claim_of(user)));
        let batcher = batcher(vouchers, Duration::from_millis(1));
        // Turned away by the gate: counted out at once.
        drop(batcher.on_the_way(VOUCHER));
        let press = batcher.on_the_way(VOUCHER);
        assert!(batcher.claim(press, UserId(1)).await.is_ok());
        // Stuck in the gate: the write goes ahead once the bound has passed.
        let stuck = batcher.on_the_way(VOUCHER);
        let press = batcher.on_the_way(VOUCHER);
        assert!(batcher.claim(press, UserId(2)).await.is_ok());
        drop(stuck);
    }

    #[tokio::test]
    async fn presses_leave_no_trace_once_they_are_all_counted_out() {
        let batcher = batcher(MockVoucherClaims::new(), Duration::from_millis(1));
        // Presses for vouchers that do not exist are turned away and must not pile up.
        for id in 0..100 {
            let a = batcher.on_the_way(VoucherId(id));
            let b = batcher.on_the_way(VoucherId(id));
            drop(a);
            drop(b);
        }
        assert!(batcher
            .waves
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty());
    }
}
