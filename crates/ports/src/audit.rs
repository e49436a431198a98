//! Reading the audit trail. Notes are written by the repositories, inside the transaction of
//! the change they describe; nothing updates or deletes them.

use crate::error::BackendError;
use async_trait::async_trait;
use domain::audit::{AuditAction, AuditEntry, TargetKind};
use domain::{Page, PageRequest, UserId};
use time::OffsetDateTime;

/// Which notes to list; every field narrows the list, `None` leaves it open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub target_kind: Option<TargetKind>,
    pub target_id: Option<i64>,
    pub action: Option<AuditAction>,
    /// Written at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Written before this instant.
    pub to: Option<OffsetDateTime>,
}

#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Notes matching `filter`, newest first.
    ///
    /// # Errors
    /// `BackendError` when storage fails.
    async fn list(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, BackendError>;
}
