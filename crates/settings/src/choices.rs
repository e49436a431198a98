//! What the loaded settings are checked against, and what they choose: the database, the
//! coordination (Redis or in process), the JWT secret, the service's offset.

use crate::{Secret, Settings, SettingsError, DEVELOPMENT_JWT_SECRET, MIN_JWT_SECRET_BYTES};
use std::path::PathBuf;
use time::UtcOffset;

/// Where the repositories live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseChoice {
    /// PostgreSQL: any number of api-server processes.
    Postgres { url: Secret },
    /// An SQLite file in this process: one api-server process.
    Embedded { path: PathBuf },
}

impl DatabaseChoice {
    /// Names the database for a log line, without credentials: `sqlite /full/path` or
    /// `postgres host:port/name`.
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded { path } => {
                let shown = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                format!("sqlite {}", shown.display())
            }
            Self::Postgres { url } => {
                // postgres://user:secret@host:port/name?options -> host:port/name
                let rest = url.expose().split_once("://").map_or("", |(_, r)| r);
                let after_user = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
                let shown = after_user.split('?').next().unwrap_or_default();
                format!("postgres {shown}")
            }
        }
    }
}

/// Where locks, token revocations and the voucher admission gate live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoordinationChoice {
    /// Redis, shared by every process.
    Redis { url: Secret },
    /// This process's memory: correct for one process only.
    InProcess,
}

impl Settings {
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |m: &str| Err(SettingsError::Invalid(m.to_owned()));
        self.utc_offset()?;
        self.database_choice()?;
        self.coordination_choice()?;
        if self.database.pool_size == 0 || self.redis.pool_size == 0 {
            return invalid("pool sizes must be at least 1");
        }
        if self.booking.slot_capacity == 0 {
            return invalid("booking.slot_capacity must be at least 1");
        }
        if self.booking.min_lead_hours < 0 || self.booking.max_ahead_days <= 0 {
            return invalid("booking.min_lead_hours must be >= 0 and max_ahead_days > 0");
        }
        if self.booking.horizon_days <= 0 || self.booking.horizon_days > 3660 {
            return invalid("booking.horizon_days must be between 1 and 3660");
        }
        if self.events.retention_days <= 0 || self.events.retention_days > 3660 {
            return invalid("events.retention_days must be between 1 and 3660");
        }
        if self.auth.token_ttl_seconds <= 0 {
            return invalid("auth.token_ttl_seconds must be positive");
        }
        if self.lock.ttl_ms == 0 {
            return invalid("lock.ttl_ms must be positive");
        }
        let a = &self.auth;
        if a.throttle_window_seconds == 0
            || a.throttle_per_account_and_client == 0
            || a.throttle_per_account == 0
            || a.throttle_per_client == 0
        {
            return invalid("auth.throttle_* settings must be positive");
        }
        if self.server.keep_alive_seconds == 0 {
            return invalid("server.keep_alive_seconds must be positive");
        }
        Ok(())
    }

    /// PostgreSQL when `database.url` (`DATABASE_URL`) is set, else the embedded file at
    /// `database.path`.
    ///
    /// # Errors
    /// `Invalid` when a setting points at the wrong kind of store: a file path or a Redis URL in
    /// `DATABASE_URL`, a URL in `database.path`.
    pub fn database_choice(&self) -> Result<DatabaseChoice, SettingsError> {
        let url = self.database.url.expose().trim();
        if url.is_empty() {
            let path = &self.database.path;
            if path.as_os_str().is_empty() || path.to_string_lossy().contains("://") {
                return Err(SettingsError::Invalid(format!(
                    "database.path must be a file path for the embedded database, got '{}'; \
                     a PostgreSQL URL belongs in DATABASE_URL",
                    path.display()
                )));
            }
            return Ok(DatabaseChoice::Embedded { path: path.clone() });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseChoice::Postgres {
                url: Secret::new(url),
            });
        }
        let hint = if url.starts_with("redis://") || url.starts_with("rediss://") {
            "it is a Redis URL, which belongs in REDIS_URL"
        } else if url.contains("://") {
            "only postgres:// and postgresql:// URLs are supported"
        } else {
            "it looks like a file path: for the embedded database leave DATABASE_URL unset \
             and set APP__DATABASE__PATH"
        };
        Err(SettingsError::Invalid(format!(
            "DATABASE_URL must be a PostgreSQL URL (postgres://...); {hint}"
        )))
    }

    /// Redis when `redis.url` (`REDIS_URL`) is set, else in-process.
    ///
    /// # Errors
    /// `Invalid` when `REDIS_URL` is not a redis:// or rediss:// URL.
    pub fn coordination_choice(&self) -> Result<CoordinationChoice, SettingsError> {
        let url = self.redis.url.expose().trim();
        if url.is_empty() {
            return Ok(CoordinationChoice::InProcess);
        }
        if url.starts_with("redis://") || url.starts_with("rediss://") {
            return Ok(CoordinationChoice::Redis {
                url: Secret::new(url),
            });
        }
        let hint = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            "it is a PostgreSQL URL, which belongs in DATABASE_URL"
        } else {
            "leave it unset for the in-process lock (one process only)"
        };
        Err(SettingsError::Invalid(format!(
            "REDIS_URL must be a Redis URL (redis://... or rediss://...); {hint}"
        )))
    }

    /// True for profiles in which the built-in development secret is acceptable.
    pub fn allows_development_secret(&self) -> bool {
        matches!(self.profile.as_str(), "development" | "test")
    }

    /// The JWT secret to use.
    ///
    /// # Errors
    /// `Invalid` when the secret is empty or the built-in one outside development and test.
    pub fn jwt_secret(&self) -> Result<Secret, SettingsError> {
        let configured = self.auth.jwt_secret.expose();
        let is_default = configured.is_empty() || configured == DEVELOPMENT_JWT_SECRET;
        if !is_default {
            if !self.allows_development_secret() && configured.len() < MIN_JWT_SECRET_BYTES {
                return Err(SettingsError::Invalid(format!(
                    "profile '{}' needs a JWT_SECRET of at least {MIN_JWT_SECRET_BYTES} bytes \
                     (got {})",
                    self.profile,
                    configured.len()
                )));
            }
            return Ok(self.auth.jwt_secret.clone());
        }
        if self.allows_development_secret() {
            Ok(Secret::new(DEVELOPMENT_JWT_SECRET))
        } else {
            Err(SettingsError::Invalid(format!(
                "profile '{}' needs a real JWT_SECRET (the built-in one is for development)",
                self.profile
            )))
        }
    }

    /// # Errors
    /// `Invalid` when `booking.utc_offset` is not `+HH:MM` / `-HH:MM`.
    pub fn utc_offset(&self) -> Result<UtcOffset, SettingsError> {
        let format =
            time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
        UtcOffset::parse(&self.booking.utc_offset, &format).map_err(|_| {
            SettingsError::Invalid(format!(
                "booking.utc_offset must look like +00:00, got '{}'",
                self.booking.utc_offset
            ))
        })
    }
}
