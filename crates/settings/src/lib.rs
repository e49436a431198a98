//! Configuration: the defaults compiled into the binary (`config/default.toml` of the source
//! tree), then optional overlays from the config folder (`default.toml`, then
//! `<profile>.toml`), then the environment. The binaries therefore run from any folder, a cron
//! job's included. The result is a plain value handed to whoever needs it; nothing reads
//! globals.

use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;
use time::UtcOffset;

/// The secret that the development profile falls back to. Public by definition.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-do-not-use-in-production";

/// HMAC-SHA256 keys shorter than its block are guessable sooner; production refuses them.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Every key with its default, compiled in.
const DEFAULTS: &str = include_str!("../../../config/default.toml");
/// The profiles shipped with the source, compiled in; a file in the config folder wins.
const BUILT_IN_PROFILES: &[(&str, &str)] = &[
    (
        "production",
        include_str!("../../../config/production.toml"),
    ),
    ("test", include_str!("../../../config/test.toml")),
];

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

#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The common deployment variables and the keys they set.
const PLAIN_ENV: &[(&str, &[&str])] = &[
    ("DATABASE_URL", &["database", "url"]),
    ("REDIS_URL", &["redis", "url"]),
    ("HOST", &["server", "host"]),
    ("PORT", &["server", "port"]),
    ("JWT_SECRET", &["auth", "jwt_secret"]),
];

impl Settings {
    /// Loads from `APP_CONFIG_DIR` (default `./config`) and the process environment.
    ///
    /// # Errors
    /// A missing base file, invalid TOML, an unknown key or a value of the wrong type.
    pub fn load() -> Result<Self, SettingsError> {
        let dir = std::env::var_os("APP_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::load_from(&dir, &env)
    }

    /// Loads from `dir` with `env` standing in for the environment (testable).
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load_from(dir: &Path, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut merged = DEFAULTS
            .parse::<toml::Table>()
            .map_err(|e| SettingsError::Invalid(format!("built-in defaults: {e}")))?;
        let default_file = dir.join("default.toml");
        if default_file.exists() {
            merge(&mut merged, read_table(&default_file)?);
        }
        let profile = env
            .get("APP_PROFILE")
            .cloned()
            .or_else(|| {
                merged
                    .get("profile")
                    .and_then(|v| v.as_str())
                    .map(String::from)
            })
            .unwrap_or_else(|| "development".to_owned());
        let profile_file = dir.join(format!("{profile}.toml"));
        if profile_file.exists() {
            merge(&mut merged, read_table(&profile_file)?);
        } else if let Some((_, text)) = BUILT_IN_PROFILES.iter().find(|(p, _)| *p == profile) {
            let table = text
                .parse::<toml::Table>()
                .map_err(|e| SettingsError::Invalid(format!("built-in profile: {e}")))?;
            merge(&mut merged, table);
        }
        merged.insert("profile".into(), toml::Value::String(profile));

        for (var, path) in PLAIN_ENV {
            if let Some(value) = env.get(*var) {
                set_path(&mut merged, path, typed_value(value));
            }
        }
        let mut prefixed: Vec<_> = env.iter().filter(|(k, _)| k.starts_with("APP__")).collect();
        prefixed.sort();
        for (key, value) in prefixed {
            let path: Vec<String> = key["APP__".len()..]
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect();
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            set_path(&mut merged, &path, typed_value(value));
        }

        let settings: Settings = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| SettingsError::Invalid(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
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

fn read_table(path: &Path) -> Result<toml::Table, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
        path: path.to_owned(),
        source,
    })?;
    text.parse::<toml::Table>()
        .map_err(|source| SettingsError::Parse {
            path: path.to_owned(),
            source,
        })
}

/// Lays `top` over `base`, table by table.
fn merge(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn set_path(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry((*first).to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(inner) = entry {
                set_path(inner, rest, value);
            }
        }
    }
}

/// Environment values are strings; numbers and booleans are read as such so `PORT=9000` fills a
/// numeric key.
fn typed_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = raw.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(raw.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
    }

    fn load(env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load_from(&config_dir(), &env)
    }

    #[test]
    fn defaults_load_and_use_the_development_profile() {
        let s = load(&[]).expect("defaults load");
        assert_eq!(s.profile, "development");
        assert_eq!(s.booking.slot_capacity, 50_000);
        assert_eq!(
            s.jwt_secret().expect("dev secret").expose(),
            DEVELOPMENT_JWT_SECRET
        );
    }

    #[test]
    fn plain_and_prefixed_environment_variables_override_files() {
        let s = load(&[
            ("DATABASE_URL", "postgres://x@h/db"),
            ("PORT", "9001"),
            ("APP__DATABASE__POOL_SIZE", "3"),
            ("APP__BOOKING__UTC_OFFSET", "+05:30"),
        ])
        .expect("loads");
        assert_eq!(s.database.url.expose(), "postgres://x@h/db");
        assert_eq!(s.server.port, 9001);
        assert_eq!(s.database.pool_size, 3);
        assert_eq!(s.utc_offset().expect("offset").whole_minutes(), 330);
    }

    #[test]
    fn without_urls_the_embedded_database_and_in_process_coordination_are_chosen() {
        let s = load(&[]).expect("defaults load");
        assert_eq!(
            s.database_choice().expect("choice"),
            DatabaseChoice::Embedded {
                path: PathBuf::from("data/exam-booking.sqlite3")
            }
        );
        assert_eq!(
            s.coordination_choice().expect("choice"),
            CoordinationChoice::InProcess
        );
        let s = load(&[
            ("DATABASE_URL", "postgresql://u@h/db"),
            ("REDIS_URL", "redis://h:6379"),
        ])
        .expect("loads");
        assert!(matches!(
            s.database_choice(),
            Ok(DatabaseChoice::Postgres { .. })
        ));
        assert!(matches!(
            s.coordination_choice(),
            Ok(CoordinationChoice::Redis { .. })
        ));
    }

    #[test]
    fn urls_and_paths_in_the_wrong_setting_are_refused_with_a_hint() {
        let refused = |env: &[(&str, &str)], hint: &str| match load(env) {
            Err(SettingsError::Invalid(m)) => assert!(m.contains(hint), "{m}"),
            other => panic!("{env:?} should be refused, got {other:?}"),
        };
        refused(&[("DATABASE_URL", "redis://h:6379")], "REDIS_URL");
        refused(&[("DATABASE_URL", "data/x.sqlite3")], "APP__DATABASE__PATH");
        refused(&[("DATABASE_URL", "mysql://h/db")], "postgres://");
        refused(&[("REDIS_URL", "postgres://h/db")], "DATABASE_URL");
        refused(&[("REDIS_URL", "localhost:6379")], "redis://");
        refused(
            &[("APP__DATABASE__PATH", "postgres://h/db")],
            "DATABASE_URL",
        );
    }

    #[test]
    fn production_refuses_the_built_in_secret() {
        let s = load(&[("APP_PROFILE", "production")]).expect("loads");
        assert_eq!(s.server.host, "0.0.0.0", "profile file applied");
        assert!(s.jwt_secret().is_err());
        let s = load(&[
            ("APP_PROFILE", "production"),
            ("JWT_SECRET", "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"),
        ])
        .expect("loads");
        assert_eq!(
            s.jwt_secret().expect("real secret").expose(),
            "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"
        );
    }

    #[test]
    fn invalid_values_are_reported_not_ignored() {
        assert!(matches!(
            load(&[("PORT", "not-a-port")]),
            Err(SettingsError::Invalid(_))
        ));
        assert!(matches!(
            load(&[("APP__BOOKING__UTC_OFFSET", "CET")]),
            Err(SettingsError::Invalid(_))
        ));
        assert!(matches!(
            load(&[("APP__SERVER__NO_SUCH_KEY", "1")]),
            Err(SettingsError::Invalid(_))
        ));
    }

    #[test]
    fn the_built_in_defaults_need_no_config_folder() {
        let empty = std::env::temp_dir().join(format!("no-config-{}", std::process::id()));
        let s = Settings::load_from(&empty, &HashMap::new()).expect("built-in defaults");
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.server.keep_alive_seconds, 75);
        let env = HashMap::from([("APP_PROFILE".to_owned(), "test".to_owned())]);
        let s = Settings::load_from(&empty, &env).expect("built-in test profile");
        assert_eq!(s.lock.wait_ms, 5000);
    }

    #[test]
    fn production_refuses_a_short_secret() {
        let short = load(&[("APP_PROFILE", "production"), ("JWT_SECRET", "too-short")])
            .expect("loads")
            .jwt_secret();
        assert!(matches!(short, Err(SettingsError::Invalid(m)) if m.contains("32 bytes")));
        let long = "x".repeat(MIN_JWT_SECRET_BYTES);
        load(&[("APP_PROFILE", "production"), ("JWT_SECRET", &long)])
            .expect("loads")
            .jwt_secret()
            .expect("a long secret is fine");
    }

    #[test]
    fn trusted_proxies_come_as_a_list_or_comma_separated() {
        assert!(load(&[])
            .expect("defaults")
            .server
            .trusted_proxies
            .is_empty());
        let s = load(&[("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).expect("loads");
        assert_eq!(s.server.trusted_proxies, ["127.0.0.1", "10.0.0.0/8"]);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = load(&[("JWT_SECRET", "topsecretvalue")]).expect("loads");
        assert!(!format!("{s:?}").contains("topsecretvalue"));
    }
}
