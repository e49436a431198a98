//! Sign-up and log-in bodies.

use super::{password_schema, username_schema};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// ASCII letters, digits and `_ . @ + -`; unique regardless of case.
    #[schema(schema_with = username_schema)]
    pub username: String,
    #[schema(schema_with = password_schema)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}
