//! Liveness and readiness.

use crate::dto::HealthBody;
use actix_web::{get, web, HttpResponse};
use ports::HealthProbe;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The probes behind `/ready`, and the switch that takes the instance out of rotation while it
/// shuts down.
#[derive(Clone)]
pub struct Readiness {
    pub probes: Vec<Arc<dyn HealthProbe>>,
    pub timeout: Duration,
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.probes.iter().map(|p| p.name()).collect();
        f.debug_struct("Readiness").field("probes", &names).finish()
    }
}

#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthBody))
)]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody {
        status: "ok",
        checks: BTreeMap::new(),
    })
}

#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Every backing service answers", body = HealthBody),
        (status = 503, description = "Some backing service does not answer, or the instance is shutting down", body = HealthBody),
    )
)]
#[get("/ready")]
pub async fn ready(readiness: web::Data<Readiness>) -> HttpResponse {
    if readiness.draining.load(Ordering::Acquire) {
        // Shutting down: the load balancer should stop sending here while in-flight requests
        // finish.
        return HttpResponse::ServiceUnavailable().json(HealthBody {
            status: "draining",
            checks: BTreeMap::new(),
        });
    }
    let results = probe_in_turn(&readiness).await;
    let healthy = results.values().all(|v| *v == "ok");
    let body = HealthBody {
        status: if healthy { "ok" } else { "unavailable" },
        checks: results,
    };
    if healthy {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn probe_in_turn(readiness: &Readiness) -> BTreeMap<String, &'static str> {
    // A handful of probes: checking them one after another keeps this dependency-free, and
    // each has its own short timeout.
    let mut out = BTreeMap::new();
    for probe in &readiness.probes {
        let ok = tokio::time::timeout(readiness.timeout, probe.check())
            .await
            .is_ok_and(|r| r.is_ok());
        out.insert(
            probe.name().to_owned(),
            if ok { "ok" } else { "unavailable" },
        );
    }
    out
}
