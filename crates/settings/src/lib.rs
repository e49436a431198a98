//! Configuration: the defaults compiled into the binary (`config/default.toml` of the source
//! tree), then optional overlays from the config folder (`default.toml`, then
//! `<profile>.toml`), then the environment. The binaries therefore run from any folder, a cron
//! job's included. The result is a plain value handed to whoever needs it; nothing reads
//! globals.
//!
//! `schema` declares every key, `loader` lays the sources over each other, and `choices`
//! validates the result and derives what the settings choose (which database, which
//! coordination, which secret).

mod choices;
mod loader;
mod schema;

pub use choices::{CoordinationChoice, DatabaseChoice};
pub use schema::{
    AuthSettings, BookingSettings, DatabaseSettings, DefaultBookingMode, EventSettings,
    LockSettings, LogFormat, LogSettings, MetricsSettings, RedisSettings, Secret, ServerSettings,
    Settings,
};

use std::path::PathBuf;
use thiserror::Error;

/// The secret that the development profile falls back to. Public by definition.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-do-not-use-in-production";

/// HMAC-SHA256 keys shorter than its block are guessable sooner; production refuses them.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

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
