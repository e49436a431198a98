//! Runs a change while holding the distributed lock on one resource, releasing it on every path.

use crate::error::AppError;
use ports::DistributedLock;
use std::future::Future;

/// Takes the lock on `key`, runs `work`, and releases the lock whatever `work` returned.
///
/// A failed release is only logged: the lease expires on its own, and the database guards do
/// not depend on the lock.
pub(crate) async fn with_lock<T, F>(
    lock: &dyn DistributedLock,
    key: &str,
    work: F,
) -> Result<T, AppError>
where
    F: Future<Output = Result<T, AppError>>,
{
    let lease = lock.acquire(key).await?;
    let outcome = work.await;
    if let Err(error) = lock.release(lease).await {
        tracing::warn!(%key, %error, "releasing a lock failed; it will expire on its own");
    }
    outcome
}
