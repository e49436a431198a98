//! Reads that arrive on one thread while an earlier read is on its way to Redis go together in
//! the next one.
//!
//! Under load each worker thread has dozens of requests in flight, and each of them used to
//! send a command of its own for nearly the same keys (its session, the date's tag, the epoch):
//! a command to frame, a write that wakes Redis, a reply to parse, every time. Now the asks of a
//! thread wait while a read is out, and the next read answers all of them with one command. A
//! lone ask is read at once: no timer, nothing added when there is no load.
//!
//! An ask is never answered by a read sent before it arrived: the reader takes the waiting asks
//! first and sends their read afterwards. So an ask that follows a change's answer (a logout, a
//! confirm's new tags) sees that change, exactly as with one command per ask.

use ports::group_queue::GroupQueue;
use ports::BackendError;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The most asks one read answers; more waiting go in the next one.
const MOST_PER_READ: usize = 256;

/// Answers many asks with one read.
pub(crate) trait ReadMany<A, S>: Clone + Send + Sync + 'static {
    /// One answer per ask, in the order asked.
    fn read_many(&self, asks: &[A]) -> impl Future<Output = Result<Vec<S>, BackendError>> + Send;
}

type Waiting<A, S> = (A, oneshot::Sender<Result<S, BackendError>>);

/// The asks of one thread waiting for its next read.
pub(crate) struct Batches<A, S> {
    waiting: GroupQueue<(), Waiting<A, S>>,
}

impl<A, S> Default for Batches<A, S> {
    fn default() -> Self {
        Self {
            waiting: GroupQueue::default(),
        }
    }
}

impl<A: Send + 'static, S: Send + 'static> Batches<A, S> {
    /// Answers `ask` with the next read, starting one if none is under way.
    ///
    /// # Errors
    /// The read's error, shared by every ask it was to answer.
    pub(crate) async fn ask<R: ReadMany<A, S>>(
        self: &Arc<Self>,
        ask: A,
        reader: &R,
    ) -> Result<S, BackendError> {
        let (answer, seen) = oneshot::channel();
        if self.waiting.push((), (ask, answer)) {
            // A task of its own, not a part of one request: a caller who hangs up cannot take
            // the others' read down with it.
            tokio::spawn(self.clone().read_while_waiting(reader.clone()));
        }
        seen.await.unwrap_or_else(|_| {
            Err(BackendError::msg(
                "the batched read stopped before answering",
            ))
        })
    }

    /// Reads for the waiting asks, a batch at a time, until none are left.
    async fn read_while_waiting<R: ReadMany<A, S>>(self: Arc<Self>, reader: R) {
        let guard = self.waiting.worker(());
        while let Some(batch) = self.waiting.next_batch((), MOST_PER_READ) {
            metrics::histogram!("redis_read_batch_size").record(batch.len() as f64);
            let (asks, answers): (Vec<A>, Vec<_>) = batch.into_iter().unzip();
            match reader.read_many(&asks).await {
                Ok(seen) => {
                    for (seen, answer) in seen.into_iter().zip(answers) {
                        let _ = answer.send(Ok(seen));
                    }
                }
                Err(e) => {
                    for answer in answers {
                        let _ = answer.send(Err(e.clone()));
                    }
                }
            }
        }
        guard.finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::sync::Semaphore;

    /// Answers each ask with ten times itself, once the test lets a read through; records
    /// every batch it was given.
    #[derive(Clone)]
    struct Gated {
        reads: Arc<Mutex<Vec<Vec<u32>>>>,
        gate: Arc<Semaphore>,
        fail: bool,
    }

    impl ReadMany<u32, u32> for Gated {
        async fn read_many(&self, asks: &[u32]) -> Result<Vec<u32>, BackendError> {
            self.reads.lock().expect("lock").push(asks.to_vec());
            self.gate.acquire().await.expect("open").forget();
            if self.fail {
                return Err(BackendError::msg("down"));
            }
            Ok(asks.iter().map(|a| a * 10).collect())
        }
    }

    impl Default for Gated {
        fn default() -> Self {
            Self {
                reads: Arc::default(),
                gate: Arc::new(Semaphore::new(0)),
                fail: false,
            }
        }
    }

    impl Gated {
        fn reads(&self) -> Vec<Vec<u32>> {
            self.reads.lock().expect("lock").clone()
        }

        async fn until_reads(&self, n: usize) {
            while self.reads().len() < n {
                tokio::task::yield_now().await;
            }
        }
    }

    fn ask(
        batches: &Arc<Batches<u32, u32>>,
        reader: &Gated,
        n: u32,
    ) -> tokio::task::JoinHandle<Result<u32, BackendError>> {
        let (batches, reader) = (batches.clone(), reader.clone());
        tokio::spawn(async move { batches.ask(n, &reader).await })
    }

    #[tokio::test]
    async fn asks_that_arrive_during_a_read_wait_for_the_next_one_and_share_it() {
        let (batches, reader) = (Arc::new(Batches::default()), Gated::default());
        let first = ask(&batches, &reader, 1);
        reader.until_reads(1).await;
        let (second, third) = (ask(&batches, &reader, 2), ask(&batches, &reader, 3));
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            reader.reads(),
            vec![vec![1]],
            "the read out was sent before 2 and 3"
        );
        reader.gate.add_permits(2);
        assert_eq!(first.await.expect("ran").expect("read"), 10);
        assert_eq!(second.await.expect("ran").expect("read"), 20);
        assert_eq!(third.await.expect("ran").expect("read"), 30);
        assert_eq!(reader.reads(), vec![vec![1], vec![2, 3]]);
    }

    #[tokio::test]
    async fn a_failed_read_fails_each_of_its_asks_and_the_next_ask_reads_afresh() {
        let (batches, mut reader) = (Arc::new(Batches::default()), Gated::default());
        reader.fail = true;
        let first = ask(&batches, &reader, 1);
        reader.until_reads(1).await;
        let second = ask(&batches, &reader, 2);
        reader.gate.add_permits(2);
        assert!(first.await.expect("ran").is_err());
        assert!(second.await.expect("ran").is_err());
        reader.fail = false;
        reader.gate.add_permits(1);
        assert_eq!(batches.ask(4, &reader).await.expect("read"), 40);
        assert_eq!(reader.reads(), vec![vec![1], vec![2], vec![4]]);
    }
}
