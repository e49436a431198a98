//! The one opaque error every port shares for infrastructure failures.

use std::error::Error as StdError;
use std::fmt;

/// A failure of the infrastructure behind a port (connection lost, pool exhausted, timeout,
/// unexpected driver error). It carries its source for logs and is never shown to clients.
/// Cloning shares the source: one failure can be the answer of several callers (a batch).
#[derive(Clone)]
pub struct BackendError {
    source: std::sync::Arc<dyn StdError + Send + Sync + 'static>,
}

impl BackendError {
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self {
            source: source.into().into(),
        }
    }

    /// For failures described only by a message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self::new(message.into())
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackendError({:?})", self.source)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "backend failure: {}", self.source)
    }
}

impl StdError for BackendError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}
