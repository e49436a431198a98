//! The queue behind each group commit (the use cases' claims and confirms) and each batched read
//! (the Redis adapter's session views): items wait under a key while that key's worker task
//! handles them a batch at a time. A key is present exactly while its worker runs, so whoever
//! queues the first item for a key starts the worker.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

#[derive(Debug)]
pub struct GroupQueue<K, T> {
    waiting: Mutex<HashMap<K, Vec<T>>>,
}

impl<K: Eq + Hash + Copy, T> Default for GroupQueue<K, T> {
    fn default() -> Self {
        Self {
            waiting: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash + Copy, T> GroupQueue<K, T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Vec<T>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `item` under `key`. True when no worker runs for `key`: the caller starts one.
    pub fn push(&self, key: K, item: T) -> bool {
        let mut waiting = self.lock();
        match waiting.get_mut(&key) {
            Some(queue) => {
                queue.push(item);
                false
            }
            None => {
                waiting.insert(key, vec![item]);
                true
            }
        }
    }

    /// The next batch under `key`, at most `most` items in the order queued. None when nothing
    /// is waiting: the worker ends, and the next item queued starts a new one.
    pub fn next_batch(&self, key: K, most: usize) -> Option<Vec<T>> {
        let mut waiting = self.lock();
        let queue = waiting.get_mut(&key)?;
        if queue.is_empty() {
            waiting.remove(&key);
            return None;
        }
        let n = queue.len().min(most);
        Some(queue.drain(..n).collect())
    }

    /// A guard for `key`'s worker. Should the worker end before `finished` (a panic), the
    /// key's waiting items go with it (their callers hear an error through their dropped
    /// answers), and the next item queued starts a new worker.
    pub fn worker(&self, key: K) -> WorkerGuard<'_, K, T> {
        WorkerGuard {
            queue: self,
            key,
            finished: false,
        }
    }
}

#[derive(Debug)]
pub struct WorkerGuard<'a, K: Eq + Hash + Copy, T> {
    queue: &'a GroupQueue<K, T>,
    key: K,
    finished: bool,
}

impl<K: Eq + Hash + Copy, T> WorkerGuard<'_, K, T> {
    /// The worker emptied its queue: nothing to clean up.
    pub fn finished(mut self) {
        self.finished = true;
    }
}

impl<K: Eq + Hash + Copy, T> Drop for WorkerGuard<'_, K, T> {
    fn drop(&mut self) {
        if !self.finished {
            self.queue.lock().remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_item_of_a_key_starts_its_worker_and_batches_keep_their_order() {
        let queue = GroupQueue::default();
        assert!(queue.push(1, "a"));
        assert!(!queue.push(1, "b"));
        assert!(queue.push(2, "x"), "another key has a worker of its own");
        assert!(!queue.push(1, "c"));
        assert_eq!(queue.next_batch(1, 2), Some(vec!["a", "b"]));
        assert_eq!(queue.next_batch(1, 2), Some(vec!["c"]));
        assert_eq!(queue.next_batch(1, 2), None);
        assert!(queue.push(1, "d"), "an emptied key's worker has ended");
    }

    #[test]
    fn a_worker_that_ends_early_takes_its_waiting_items_with_it() {
        let queue = GroupQueue::default();
        assert!(queue.push((), 1));
        assert!(!queue.push((), 2));
        drop(queue.worker(()));
        assert!(queue.push((), 3), "the next item starts a new worker");
        assert_eq!(queue.next_batch((), 10), Some(vec![3]));
        let finished = queue.worker(());
        assert_eq!(queue.next_batch((), 10), None);
        finished.finished();
    }
}
