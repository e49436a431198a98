//! In-process adapters for a single api-server process: the lock, the shared cache (session
//! states and availability tags) and the voucher admission gate, held in this process's memory.
//!
//! They implement the same ports as the Redis adapters and keep the same promises within one
//! process. They are not shared: several processes on one database need Redis, or two of them
//! could hold "the" lock at once (the database guards would still hold the cap, but requests
//! would no longer be serialised) and a logout would only be known to the process that saw it.
//! Everything here is forgotten on restart and rebuilt on demand; logouts are recorded in the
//! database, so they survive the restart.

mod admission;
mod cache;
mod lock;
mod throttle;

pub use admission::MemoryAdmission;
pub use cache::MemoryCache;
pub use lock::MemoryLock;
pub use throttle::MemoryThrottle;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Entries kept before expired ones are swept out of a map.
const SWEEP_ABOVE: usize = 4096;

/// Locks a mutex whose data stays consistent even if a holder panicked: every critical
/// section here is a single map operation.
fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
