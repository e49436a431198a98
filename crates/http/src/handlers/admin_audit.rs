//! The audit trail of admin actions, read-only: rows are never updated or deleted.

use super::Svc;
use crate::dto::{AuditActionBody, AuditEntryBody, AuditTargetKindBody, PageBody};
use crate::extract::{query, Admin, PageQuery};
use crate::problem::{ApiError, Problem};
use actix_web::{get, HttpRequest, HttpResponse};
use domain::audit::{AuditAction, TargetKind};
use domain::UserId;
use ports::AuditFilter;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    page: Option<i64>,
    per_page: Option<i64>,
    actor_id: Option<i64>,
    target_kind: Option<String>,
    target_id: Option<i64>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn instant(name: &str, raw: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| {
        ApiError::Malformed(format!(
            "'{name}' must be an RFC 3339 date-time such as 2026-12-01T09:00:00Z"
        ))
    })
}

#[utoipa::path(
    tag = "admin",
    params(
        ("actor_id" = Option<i64>, Query, description = "Only actions by this admin"),
        ("target_kind" = Option<AuditTargetKindBody>, Query, description = "reservation, user, book, voucher or claim"),
        ("target_id" = Option<i64>, Query, description = "Only actions on this record (with target_kind, one record)"),
        ("action" = Option<AuditActionBody>, Query, description = "One action, e.g. reservation.confirmed"),
        ("from" = Option<String>, Query, format = DateTime, description = "Written at or after this instant (RFC 3339)"),
        ("to" = Option<String>, Query, format = DateTime, description = "Written before this instant (RFC 3339)"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "Admin actions, newest first", body = PageBody<AuditEntryBody>),
        (status = 400, description = "Bad filter or paging parameters", body = Problem),
    )
)]
#[get("/admin/audit")]
pub async fn admin_list_audit(
    svc: Svc,
    admin: Admin,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q: AuditQuery = query(&req)?;
    let page = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .request()?;
    let target_kind = q
        .target_kind
        .map(|k| {
            TargetKind::parse(&k).ok_or_else(|| {
                ApiError::Malformed(format!(
                    "unknown target_kind '{k}': reservation, user, book, voucher, claim or slot"
                ))
            })
        })
        .transpose()?;
    let action = q
        .action
        .map(|a| {
            AuditAction::parse(&a)
                .ok_or_else(|| ApiError::Malformed(format!("unknown action '{a}'")))
        })
        .transpose()?;
    let filter = AuditFilter {
        actor: q.actor_id.map(UserId),
        target_kind,
        target_id: q.target_id,
        action,
        from: q.from.as_deref().map(|f| instant("from", f)).transpose()?,
        to: q.to.as_deref().map(|t| instant("to", t)).transpose()?,
    };
    let list = svc.audit.list(&admin.actor(), filter, page).await?;
    Ok(HttpResponse::Ok().json(PageBody::<AuditEntryBody>::from_page(list)))
}

#[cfg(test)]
mod tests {
    use domain::audit::{AuditAction, TargetKind};

    fn documented(schema: &str) -> Vec<String> {
        let doc = serde_json::to_value(crate::openapi::document()).expect("json");
        doc["components"]["schemas"][schema]["enum"]
            .as_array()
            .expect("an enum")
            .iter()
            .map(|v| v.as_str().expect("a name").to_owned())
            .collect()
    }

    #[test]
    fn the_documented_filters_are_the_domains_names() {
        let actions: Vec<String> = AuditAction::ALL.iter().map(|a| a.as_str().into()).collect();
        assert_eq!(documented("AuditActionBody"), actions);
        let kinds: Vec<String> = TargetKind::ALL.iter().map(|k| k.as_str().into()).collect();
        assert_eq!(documented("AuditTargetKindBody"), kinds);
    }
}
