//! Liveness and readiness.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Per dependency: "ok" or "unavailable".
    #[schema(value_type = Object)]
    pub checks: std::collections::BTreeMap<String, &'static str>,
}
