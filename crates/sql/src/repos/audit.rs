//! The audit trail: notes written inside the transaction of the change they describe, and
//! `AuditLog` for reading them.

use super::{Db, Store};
use crate::rows::{secs, AuditRow};
use crate::schema::audit_log;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::audit::{AuditEntry, AuditNote};
use domain::{Page, PageRequest};
use ports::{AuditFilter, AuditLog, BackendError};

/// Writes `note` about `target_id` (the note's own target, or the record just created). Call
/// it inside the change's transaction, after the change succeeded.
pub(super) async fn write(conn: &mut Db, note: &AuditNote, target_id: i64) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(secs(note.at)),
            audit_log::actor_id.eq(note.actor.map(|a| a.0)),
            audit_log::action.eq(note.action.as_str()),
            audit_log::target_kind.eq(note.action.target().as_str()),
            audit_log::target_id.eq(target_id),
            audit_log::changes.eq(crate::audit_json::changes(note)),
            audit_log::client_addr.eq(note.client.map(|ip| ip.to_string())),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl AuditLog for Store {
    async fn list(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, BackendError> {
        let build = || {
            let mut q = audit_log::table.into_boxed();
            if let Some(actor) = filter.actor {
                q = q.filter(audit_log::actor_id.eq(actor.0));
            }
            if let Some(kind) = filter.target_kind {
                q = q.filter(audit_log::target_kind.eq(kind.as_str()));
            }
            if let Some(id) = filter.target_id {
                q = q.filter(audit_log::target_id.eq(id));
            }
            if let Some(action) = filter.action {
                q = q.filter(audit_log::action.eq(action.as_str()));
            }
            if let Some(from) = filter.from {
                q = q.filter(audit_log::at.ge(secs(from)));
            }
            if let Some(to) = filter.to {
                q = q.filter(audit_log::at.lt(secs(to)));
            }
            q
        };
        let mut conn = self.conn().await?;
        page_of!(
            conn,
            page,
            build().order((audit_log::at.desc(), audit_log::id.desc())),
            [AuditRow],
            build(),
            |r| r.into_entry()
        )
    }
}
