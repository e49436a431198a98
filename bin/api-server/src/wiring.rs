//! Builds the adapters named in the settings and starts the HTTP server.

use actix_web::{dev::Server, App, HttpServer};
use app::{BookingPolicy, Deps, Services};
use domain::{BookingWindow, ServiceOffset};
use http_api::client_addr::TrustedProxies;
use http_api::{ApiConfig, Readiness};
use ports::{
    AdmissionGate, AuditLog, DistributedLock, HealthProbe, IdempotencyKeys, LoginThrottle, Outbox,
    ReservationRepository, SharedCache, SlotRepository, SystemClock, UserRepository,
    VoucherCatalog, VoucherClaims,
};
use settings::{CoordinationChoice, DatabaseChoice, Settings};
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

/// A started server: where it listens, the future that runs it (await it to serve) and the
/// readiness switch its shutdown turns off.
pub struct Running {
    pub addr: SocketAddr,
    pub server: Server,
    pub draining: Arc<std::sync::atomic::AtomicBool>,
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
        default_mode: b.default_mode.into(),
    })
}

/// Connects the adapters, runs migrations, ensures the slot horizon and assembles the use
/// cases.
///
/// # Errors
/// Invalid settings, an unreachable or unusable database or Redis, a failed migration.
pub async fn build(settings: &Settings) -> Result<Built, StartError> {
    let secret = settings.jwt_secret()?;
    if secret.expose() == settings::DEVELOPMENT_JWT_SECRET {
        tracing::warn!(
            profile = %settings.profile,
            "using the built-in development JWT secret: anyone can mint tokens; set JWT_SECRET \
             (production refuses to start without one)"
        );
    }
    let policy = policy(settings)?;

    let store = open_repositories(settings).await?;
    let coordination = open_coordination(settings)?;
    let hasher = http_api::security::Argon2Hasher::start(
        settings.auth.hash_workers,
        Duration::from_millis(settings.auth.hash_wait_ms),
    )
    .await
    .map_err(|e| StartError::Other(e.to_string()))?;
    let tokens = http_api::security::JwtTokens::new(
        secret.expose().as_bytes(),
        time::Duration::seconds(settings.auth.token_ttl_seconds),
    );

    let services = Services::new(Deps {
        users: store.clone(),
        slots: store.clone(),
        reservations: store.clone(),
        lock: coordination.lock,
        clock: Arc::new(SystemClock),
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        cache: coordination.cache,
        throttle: coordination.throttle,
        catalog: store.clone(),
        claims: store.clone(),
        gate: coordination.gate,
        audit: store.clone(),
        idempotency: store.clone(),
        outbox: store.clone(),
        policy,
        event_retention: time::Duration::days(settings.events.retention_days),
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

    keep_house(services.idempotency.clone(), services.events.clone());

    let mut probes: Vec<Arc<dyn HealthProbe>> = vec![store];
    probes.extend(coordination.probe);
    Ok(Built {
        services,
        readiness: Readiness {
            probes,
            timeout: Duration::from_secs(2),
            draining: Arc::default(),
        },
        api: ApiConfig {
            body_limit_bytes: settings.server.body_limit_bytes,
            trusted_proxies: TrustedProxies::parse(&settings.server.trusted_proxies)
                .map_err(StartError::Other)?,
            secure_cookies: !settings.allows_development_secret(),
            metrics: if settings.metrics.enabled {
                Some(http_api::metrics::install().map_err(StartError::Other)?)
            } else {
                None
            },
        },
    })
}

/// How often answers kept for idempotent replay, and outbox events, are checked for expiry.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Deletes expired idempotent answers and outbox events in the background, so the tables hold
/// about one day of keyed requests and the configured days of events. Every instance does it;
/// the deletes are idempotent and cheap (indexed).
fn keep_house(keys: app::IdempotencyService, events: app::EventService) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            match keys.purge_expired().await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired idempotency keys deleted"),
                Err(e) => tracing::warn!(error = %e, "could not delete expired idempotency keys"),
            }
            match events.purge_expired().await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired outbox events deleted"),
                Err(e) => tracing::warn!(error = %e, "could not delete expired outbox events"),
            }
        }
    });
}

/// Every repository port, on one store.
trait Repositories:
    UserRepository
    + SlotRepository
    + ReservationRepository
    + VoucherCatalog
    + VoucherClaims
    + AuditLog
    + IdempotencyKeys
    + Outbox
    + HealthProbe
    + 'static
{
}

impl<T> Repositories for T where
    T: UserRepository
        + SlotRepository
        + ReservationRepository
        + VoucherCatalog
        + VoucherClaims
        + AuditLog
        + IdempotencyKeys
        + Outbox
        + HealthProbe
        + 'static
{
}

/// Migrates and opens the database the settings chose.
async fn open_repositories(settings: &Settings) -> Result<Arc<dyn Repositories>, StartError> {
    let database = |e: ports::BackendError| StartError::Database(e.to_string());
    Ok(match settings.database_choice()? {
        DatabaseChoice::Postgres { url } => {
            let store = adapter_sql::open_postgres(url.expose(), settings.database.pool_size)
                .await
                .map_err(database)?;
            tracing::info!(
                pool_size = settings.database.pool_size,
                "database: PostgreSQL"
            );
            Arc::new(store)
        }
        DatabaseChoice::Embedded { path } => {
            let store = adapter_sql::open_sqlite(&path).await.map_err(database)?;
            tracing::info!(file = %path.display(), "database: embedded SQLite");
            Arc::new(store)
        }
    })
}

/// The lock, the shared cache and the admission gate, shared through Redis or kept in-process.
struct Coordination {
    lock: Arc<dyn DistributedLock>,
    cache: Arc<dyn SharedCache>,
    throttle: Arc<dyn LoginThrottle>,
    gate: Arc<dyn AdmissionGate>,
    probe: Option<Arc<dyn HealthProbe>>,
}

fn open_coordination(settings: &Settings) -> Result<Coordination, StartError> {
    let ttl = Duration::from_millis(settings.lock.ttl_ms);
    let wait = Duration::from_millis(settings.lock.wait_ms);
    let a = &settings.auth;
    let limits = ports::ThrottleLimits {
        window: Duration::from_secs(a.throttle_window_seconds),
        per_account_and_client: a.throttle_per_account_and_client,
        per_account: a.throttle_per_account,
        per_client: a.throttle_per_client,
    };
    Ok(match settings.coordination_choice()? {
        CoordinationChoice::Redis { url } => {
            let redis = adapter_redis::RedisBackend::connect(
                url.expose(),
                settings.redis.pool_size,
                &settings.redis.key_prefix,
            )
            .map_err(|e| StartError::Redis(e.to_string()))?;
            tracing::info!(
                key_prefix = %settings.redis.key_prefix,
                "lock, session cache and admission gate: Redis"
            );
            Coordination {
                lock: Arc::new(redis.lock(ttl, wait)),
                cache: Arc::new(redis.cache()),
                throttle: Arc::new(redis.throttle(limits)),
                gate: Arc::new(redis.admission()),
                probe: Some(Arc::new(redis.probe())),
            }
        }
        CoordinationChoice::InProcess => {
            tracing::info!(
                "lock, session cache and admission gate: in-process \
                 (run one api-server process; several need REDIS_URL)"
            );
            Coordination {
                lock: Arc::new(adapter_memory::MemoryLock::new(ttl, wait)),
                cache: Arc::new(adapter_memory::MemoryCache::new()),
                throttle: Arc::new(adapter_memory::MemoryThrottle::new(limits)),
                gate: Arc::new(adapter_memory::MemoryAdmission::new()),
                probe: None,
            }
        }
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
    let draining = built.readiness.draining.clone();
    let workers = match settings.server.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let server = HttpServer::new(move || {
        let b = built.clone();
        App::new()
            .wrap(http_api::problem_bodies())
            .wrap(actix_web::middleware::from_fn(http_api::request_log))
            .configure(http_api::configure(b.services, b.readiness, b.api))
    })
    .workers(workers)
    .keep_alive(Duration::from_secs(settings.server.keep_alive_seconds))
    .shutdown_timeout(settings.server.shutdown_timeout_seconds)
    // Signals are handled by the binary, which drains before it stops (see `main.rs`).
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(Running {
        addr,
        server,
        draining,
    })
}
