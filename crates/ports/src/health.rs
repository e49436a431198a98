//! Readiness probes for the infrastructure behind the ports.

use crate::error::BackendError;
use async_trait::async_trait;

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait HealthProbe: Send + Sync {
    /// A short name for reports, e.g. "postgres".
    fn name(&self) -> &'static str;

    /// One cheap round trip to the backing service.
    ///
    /// # Errors
    /// `BackendError` when the service does not answer.
    async fn check(&self) -> Result<(), BackendError>;
}
