//! Group commit for confirms.
//!
//! In a storm of confirms on one slot every confirm needs that slot's row, and each commit
//! holds the row's lock until its log is flushed: confirms one by one queue behind each
//! other's flushes, and PostgreSQL's own rate for that one-row update is the ceiling. Here,
//! confirms that arrive while a write is under way wait for the next write, which confirms all
//! of them with one statement and one commit (`ReservationRepository::confirm_many`); the
//! capacity guard holds for each slot's total. A lone confirm is written at once: no timer,
//! nothing added when there is no storm.
//!
//! The writer runs as a task of its own, not inside any one request, so an admin who hangs up
//! cannot abandon the confirms of the others half-way.

use domain::audit::AuditNote;
use domain::{Reservation, ReservationId};
use ports::group_queue::GroupQueue;
use ports::{BackendError, ChangeReservationError, Clock, ReservationRepository};
use std::sync::Arc;
use tokio::sync::oneshot;

/// The most confirms one write stores; more waiting go in the next one.
const MOST_PER_WRITE: usize = 200;

type Outcome = Result<Reservation, ChangeReservationError>;
type Waiting = (ReservationId, AuditNote, oneshot::Sender<Outcome>);

pub(crate) struct ConfirmBatcher {
    reservations: Arc<dyn ReservationRepository>,
    clock: Arc<dyn Clock>,
    /// Confirms waiting for a write, all under one key: any confirms can share a statement.
    waiting: GroupQueue<(), Waiting>,
}

impl ConfirmBatcher {
    pub(crate) fn new(
        reservations: Arc<dyn ReservationRepository>,
        clock: Arc<dyn Clock>,
    ) -> Arc<Self> {
        Arc::new(Self {
            reservations,
            clock,
            waiting: GroupQueue::default(),
        })
    }

    /// Confirms `id` in the next write, starting one if none is under way, and waits for its
    /// outcome.
    pub(crate) async fn confirm(self: &Arc<Self>, id: ReservationId, note: AuditNote) -> Outcome {
        let (answer, outcome) = oneshot::channel();
        let start_writer = self.waiting.push((), (id, note, answer));
        if start_writer {
            tokio::spawn(self.clone().write_while_waiting());
        }
        outcome.await.unwrap_or_else(|_| {
            Err(ChangeReservationError::Backend(BackendError::msg(
                "the confirm's writer stopped before answering",
            )))
        })
    }

    /// Writes the waiting confirms, a batch at a time, until none are left.
    async fn write_while_waiting(self: Arc<Self>) {
        let guard = self.waiting.worker(());
        while let Some(batch) = self.waiting.next_batch((), MOST_PER_WRITE) {
            self.write(batch).await;
        }
        guard.finished();
    }

    async fn write(&self, batch: Vec<Waiting>) {
        metrics::histogram!("reservation_confirm_batch_size").record(batch.len() as f64);
        let now = self.clock.now();
        let (asks, answers): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|(id, note, answer)| ((id, note), answer))
            .unzip();
        let outcomes = match <[_; 1]>::try_from(asks) {
            Ok([(id, note)]) => vec![self.reservations.confirm(id, now, note).await],
            Err(many) => self.reservations.confirm_many(many, now).await,
        };
        for (outcome, answer) in outcomes.into_iter().zip(answers) {
            let _ = answer.send(outcome);
        }
    }
}
