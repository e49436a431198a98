//! Liveness and readiness.

use crate::dto::HealthBody;
use crate::routes::Readiness;
use actix_web::{web, HttpResponse};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

#[utoipa::path(
    get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthBody))
)]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody {
        status: "ok",
        checks: BTreeMap::new(),
    })
}

#[utoipa::path(
    get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Every backing service answers", body = HealthBody),
        (status = 503, description = "Some backing service does not answer, or the instance is shutting down", body = HealthBody),
    )
)]
pub async fn ready(readiness: web::Data<Readiness>) -> HttpResponse {
    if readiness.draining.load(Ordering::Acquire) {
        // Shutting down: the load balancer should stop sending here while in-flight requests
        // finish.
        return HttpResponse::ServiceUnavailable().json(HealthBody {
            status: "draining",
            checks: BTreeMap::new(),
        });
    }
    let results = futures_join_all(&readiness).await;
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

async fn futures_join_all(readiness: &Readiness) -> BTreeMap<String, &'static str> {
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
