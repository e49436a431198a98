//! The queue behind each group commit (`claim_batch`, `confirm_batch`): items wait under a key
//! while that key's writer task stores them a batch at a time. A key is present exactly while
//! its writer runs, so whoever queues the first item for a key starts the writer.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

pub(crate) struct GroupQueue<K, T> {
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

    /// Queues `item` under `key`. True when no writer runs for `key`: the caller starts one.
    pub(crate) fn push(&self, key: K, item: T) -> bool {
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
    /// is waiting: the writer ends, and the next item queued starts a new one.
    pub(crate) fn next_batch(&self, key: K, most: usize) -> Option<Vec<T>> {
        let mut waiting = self.lock();
        let queue = waiting.get_mut(&key)?;
        if queue.is_empty() {
            waiting.remove(&key);
            return None;
        }
        let n = queue.len().min(most);
        Some(queue.drain(..n).collect())
    }

    /// A guard for `key`'s writer. Should the writer end before `finished` (a panic), the
    /// key's waiting items go with it (their callers hear an error through their dropped
    /// answers), and the next item queued starts a new writer.
    pub(crate) fn writer(&self, key: K) -> WriterGuard<'_, K, T> {
        WriterGuard {
            queue: self,
            key,
            finished: false,
        }
    }
}

pub(crate) struct WriterGuard<'a, K: Eq + Hash + Copy, T> {
    queue: &'a GroupQueue<K, T>,
    key: K,
    finished: bool,
}

impl<K: Eq + Hash + Copy, T> WriterGuard<'_, K, T> {
    /// The writer emptied its queue: nothing to clean up.
    pub(crate) fn finished(mut self) {
        self.finished = true;
    }
}

impl<K: Eq + Hash + Copy, T> Drop for WriterGuard<'_, K, T> {
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
    fn the_first_item_of_a_key_starts_its_writer_and_batches_keep_their_order() {
        let queue = GroupQueue::default();
        assert!(queue.push(1, "a"));
        assert!(!queue.push(1, "b"));
        assert!(queue.push(2, "x"), "another key has a writer of its own");
        assert!(!queue.push(1, "c"));
        assert_eq!(queue.next_batch(1, 2), Some(vec!["a", "b"]));
        assert_eq!(queue.next_batch(1, 2), Some(vec!["c"]));
        assert_eq!(queue.next_batch(1, 2), None);
        assert!(queue.push(1, "d"), "an emptied key's writer has ended");
    }

    #[test]
    fn a_writer_that_ends_early_takes_its_waiting_items_with_it() {
        let queue = GroupQueue::default();
        assert!(queue.push((), 1));
        assert!(!queue.push((), 2));
        drop(queue.writer(()));
        assert!(queue.push((), 3), "the next item starts a new writer");
        assert_eq!(queue.next_batch((), 10), Some(vec![3]));
        let finished = queue.writer(());
        assert_eq!(queue.next_batch((), 10), None);
        finished.finished();
    }
}
