//! Builds the adapters named in the settings and starts the HTTP server.

use actix_web::{dev::Server, App, HttpServer};
use app::{BookingPolicy, Deps, Services};
use domain::{BookingWindow, ServiceOffset};
use http_api::{ApiConfig, Readiness};
use ports::{HealthProbe, SystemClock};
use settings::Settings;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] settings::SettingsError),
    #[error("database: {0}")]
    Database(String),
    #[error("redis: {0}")]
    Redis(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// Everything the server needs, built from settings.
#[derive(Debug, Clone)]
pub struct Built {
    pub services: Services,
    pub readiness: Readiness,
    pub api: ApiConfig,
}

/// A started server: where it listens and the future that runs it (await it to serve).
pub struct Running {
    pub addr: SocketAddr,
    pub server: Server,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn policy(settings: &Settings) -> Result<BookingPolicy, StartError> {
    let b = &settings.booking;
    Ok(BookingPolicy {
        window: BookingWindow {
            min_lead: time::Duration::hours(b.min_lead_hours),
            max_ahead: time::Duration::days(b.max_ahead_days),
        },
        offset: ServiceOffset::new(settings.utc_offset()?),
        slot_capacity: b.slot_capacity,
        horizon: time::Duration::days(b.horizon_days),
    })
}

/// Connects the adapters, runs migrations, ensures the slot horizon and assembles the use
/// cases.
///
/// # Errors
/// Invalid settings, an unreachable PostgreSQL or Redis, a failed migration.
pub async fn build(settings: &Settings) -> Result<Built, StartError> {
    let secret = settings.jwt_secret()?;
    let policy = policy(settings)?;

    let db_url = settings.database.url.expose();
    adapter_postgres::run_migrations(db_url)
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    let store = Arc::new(
        adapter_postgres::PgStore::connect(db_url, settings.database.pool_size)
            .map_err(|e| StartError::Database(e.to_string()))?,
    );

    let redis = adapter_redis::RedisBackend::connect(
        settings.redis.url.expose(),
        settings.redis.pool_size,
        &settings.redis.key_prefix,
    )
    .map_err(|e| StartError::Redis(e.to_string()))?;
    let lock = Arc::new(redis.lock(
        Duration::from_millis(settings.lock.ttl_ms),
        Duration::from_millis(settings.lock.wait_ms),
    ));

    let hasher =
        http_api::security::Argon2Hasher::new().map_err(|e| StartError::Other(e.to_string()))?;
    let tokens = http_api::security::JwtTokens::new(
        secret.expose().as_bytes(),
        time::Duration::seconds(settings.auth.token_ttl_seconds),
    );

    let services = Services::new(Deps {
        users: store.clone(),
        slots: store.clone(),
        reservations: store.clone(),
        lock,
        clock: Arc::new(SystemClock),
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        revocations: Arc::new(redis.revocations()),
        vouchers: store.clone(),
        gate: Arc::new(redis.admission()),
        policy,
    });

    let (_, report) = services
        .slots
        .ensure_horizon()
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    tracing::info!(
        created = report.created,
        already_present = report.already_present,
        "slot horizon ensured"
    );

    let probes: Vec<Arc<dyn HealthProbe>> = vec![store, Arc::new(redis.probe())];
    Ok(Built {
        services,
        readiness: Readiness {
            probes,
            timeout: Duration::from_secs(2),
        },
        api: ApiConfig {
            body_limit_bytes: settings.server.body_limit_bytes,
        },
    })
}

/// Serves `built` on `listener` with the worker count and shutdown grace from `settings`.
///
/// # Errors
/// When the listener cannot be used.
pub fn start(
    built: Built,
    settings: &Settings,
    listener: TcpListener,
) -> Result<Running, StartError> {
    let addr = listener.local_addr()?;
    let workers = match settings.server.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let server = HttpServer::new(move || {
        let b = built.clone();
        App::new()
            .wrap(http_api::problem_bodies())
            .wrap(http_api::TracingLogger::default())
            .configure(http_api::configure(b.services, b.readiness, b.api))
    })
    .workers(workers)
    .shutdown_timeout(settings.server.shutdown_timeout_seconds)
    .listen(listener)?
    .run();
    Ok(Running { addr, server })
}
