//! The layered loader: built-in defaults, the config folder's files, the profile, then the
//! environment (the common deployment variables, and `APP__SECTION__KEY` for any key).

use crate::{Settings, SettingsError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
