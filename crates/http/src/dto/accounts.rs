//! The caller's own account and the admin's users.

use super::{password_schema, present, username_schema};
use domain::User;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub id: i64,
    pub username: String,
    #[schema(example = "user")]
    pub role: RoleBody,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            username: u.username.as_str().to_owned(),
            role: u.role.into(),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoleBody {
    User,
    Admin,
}

mirror_enum!(RoleBody <=> domain::Role { User, Admin });

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnUserPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = username_schema, nullable = false)]
    pub username: Option<String>,
    /// 8 to 128 characters; a new password ends every earlier token.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = password_schema, nullable = false)]
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = username_schema, nullable = false)]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = password_schema, nullable = false)]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub role: Option<RoleBody>,
}
