//! Group commit for the reservation writes that arrive together (creates, confirms).
//!
//! Every write is a transaction, and each commit waits for its log flush: one by one, a storm of
//! writes can go no faster than the flushes, and confirms of one slot queue behind each other's
//! lock on its row as well. Here a write that arrives while another is under way waits for the
//! next one, which stores everything that waited with one statement and one commit. A lone write
//! is stored at once: no timer, nothing added when there is no storm.
//!
//! The writer runs as a task of its own, not inside any one request, so a client who hangs up
//! cannot abandon the writes of the others half-way.

use ports::group_queue::GroupQueue;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Stores a batch; one outcome per ask, in the order asked.
pub(crate) type WriteBatch<A, O> =
    Arc<dyn Fn(Vec<A>) -> Pin<Box<dyn Future<Output = Vec<O>> + Send>> + Send + Sync>;

pub(crate) struct GroupCommit<A, O> {
    /// The histogram of batch sizes, for `/metrics`.
    metric: &'static str,
    /// The most asks one write stores; more waiting go in the next one.
    most_per_write: usize,
    write: WriteBatch<A, O>,
    /// The outcome of an ask whose writer stopped before answering (it panicked).
    lost: fn() -> O,
    /// Asks waiting for a write, all under one key: any of them can share a statement.
    waiting: GroupQueue<(), (A, oneshot::Sender<O>)>,
}

impl<A: Send + 'static, O: Send + 'static> GroupCommit<A, O> {
    pub(crate) fn new(
        metric: &'static str,
        most_per_write: usize,
        write: WriteBatch<A, O>,
        lost: fn() -> O,
    ) -> Arc<Self> {
        Arc::new(Self {
            metric,
            most_per_write,
            write,
            lost,
            waiting: GroupQueue::default(),
        })
    }

    /// Stores `ask` in the next write, starting one if none is under way, and waits for its
    /// outcome.
    pub(crate) async fn submit(self: &Arc<Self>, ask: A) -> O {
        let (answer, outcome) = oneshot::channel();
        if self.waiting.push((), (ask, answer)) {
            tokio::spawn(self.clone().write_while_waiting());
        }
        outcome.await.unwrap_or_else(|_| (self.lost)())
    }

    /// Writes the waiting asks, a batch at a time, until none are left.
    async fn write_while_waiting(self: Arc<Self>) {
        let guard = self.waiting.worker(());
        while let Some(batch) = self.waiting.next_batch((), self.most_per_write) {
            metrics::histogram!(self.metric).record(batch.len() as f64);
            let (asks, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let outcomes = (self.write)(asks).await;
            for (outcome, answer) in outcomes.into_iter().zip(answers) {
                let _ = answer.send(outcome);
            }
        }
        guard.finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn asks_that_arrive_during_a_write_share_the_next_one() {
        let batches: Arc<Mutex<Vec<usize>>> = Arc::default();
        let (release, gate) = tokio::sync::watch::channel(false);
        let seen = batches.clone();
        let write: WriteBatch<u32, u32> = Arc::new(move |asks: Vec<u32>| {
            let seen = seen.clone();
            let mut gate = gate.clone();
            Box::pin(async move {
                let _ = gate.wait_for(|open| *open).await;
                seen.lock().expect("lock").push(asks.len());
                asks.into_iter().map(|a| a * 10).collect()
            })
        });
        let commit = GroupCommit::new("test_batch_size", 2, write, || 0);
        let submit = |i| {
            let commit = commit.clone();
            tokio::spawn(async move { commit.submit(i).await })
        };
        let pause = || tokio::time::sleep(std::time::Duration::from_millis(20));
        // The first ask starts a write, which waits at the gate ...
        let mut tasks = vec![submit(1)];
        pause().await;
        // ... while four more arrive.
        tasks.extend((2..=5).map(submit));
        pause().await;
        let _ = release.send(true);
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task"));
        }
        assert_eq!(
            outcomes,
            [10, 20, 30, 40, 50],
            "each ask gets its own outcome"
        );
        // The first write took the first ask alone; the rest waited and went two at a time.
        assert_eq!(*batches.lock().expect("lock"), [1, 2, 2]);
    }
}
