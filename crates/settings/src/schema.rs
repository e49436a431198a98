//! Every configuration key, as the layered sources must spell it: unknown keys are refused.

use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub profile: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub lock: LockSettings,
    pub booking: BookingSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub metrics: MetricsSettings,
    pub events: EventSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// How long the outbox keeps an event (for webhook retries and stream resumes).
    pub retention_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve Prometheus metrics at `GET /metrics` on the main listener.
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub body_limit_bytes: usize,
    pub shutdown_timeout_seconds: u64,
    pub drain_seconds: u64,
    pub keep_alive_seconds: u64,
    pub backlog: u32,
    /// Reverse proxies (addresses and CIDR blocks) whose `X-Forwarded-For` names the client. A
    /// list in TOML; comma-separated in the environment.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
}

/// A list, or one string of comma-separated items (how a list arrives from the environment).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Commas(String),
    }
    Ok(match Raw::deserialize(de)? {
        Raw::List(items) => items,
        Raw::Commas(joined) => joined
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// A PostgreSQL URL, or empty for the embedded SQLite file at `path`.
    pub url: Secret,
    pub path: PathBuf,
    pub pool_size: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// A Redis URL, or empty for the in-process lock, revocations and admission gate.
    pub url: Secret,
    pub key_prefix: String,
    pub pool_size: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockSettings {
    pub ttl_ms: u64,
    pub wait_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingSettings {
    pub utc_offset: String,
    pub min_lead_hours: i64,
    pub max_ahead_days: i64,
    pub slot_capacity: u32,
    pub horizon_days: i64,
    /// How slots created from now on book (an admin changes it per hour afterwards).
    pub default_mode: DefaultBookingMode,
}

/// `booking.default_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultBookingMode {
    /// Requests wait as pending until an admin confirms them.
    Approval,
    /// Requests take their seats at once, or join the hour's waitlist.
    FirstCome,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: Secret,
    pub token_ttl_seconds: i64,
    /// Password hashes computed at once; 0 means one per core.
    pub hash_workers: usize,
    /// How long a log-in or sign-up waits for a hashing worker before answering 503.
    pub hash_wait_ms: u64,
    /// Failed log-ins allowed per window: per account and address, per account, per address.
    pub throttle_window_seconds: u64,
    pub throttle_per_account_and_client: u32,
    pub throttle_per_account: u32,
    pub throttle_per_client: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `auto` (JSON unless standard output is a terminal), `json` or `text`.
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Auto,
    Json,
    Text,
}

/// A string that never appears in `Debug` output or logs (it may hold a password).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<DefaultBookingMode> for domain::BookingMode {
    fn from(setting: DefaultBookingMode) -> Self {
        match setting {
            DefaultBookingMode::Approval => Self::Approval,
            DefaultBookingMode::FirstCome => Self::FirstCome,
        }
    }
}
