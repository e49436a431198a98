//! A closed-loop load generator: N connections, each sending its next request as soon as the
//! previous answer arrived, on two client threads (one actix runtime each).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// One request to send.
pub struct Request {
    method: awc::http::Method,
    path: String,
    token: Option<String>,
    body: Option<serde_json::Value>,
}

impl Request {
    pub fn get(path: &str, token: Option<&str>) -> Self {
        Self::new(awc::http::Method::GET, path, token, None)
    }

    pub fn post(path: &str, token: Option<&str>, body: serde_json::Value) -> Self {
        Self::new(awc::http::Method::POST, path, token, Some(body))
    }

    pub fn post_empty(path: &str, token: Option<&str>) -> Self {
        Self::new(awc::http::Method::POST, path, token, None)
    }

    fn new(
        method: awc::http::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Self {
        Self {
            method,
            path: path.to_owned(),
            token: token.map(str::to_owned),
            body,
        }
    }
}

/// When a run ends: after a duration, or after a fixed number of requests; and whether each
/// connection is opened by an unmeasured request first.
#[derive(Clone, Copy)]
pub struct Plan {
    connections: usize,
    until: Until,
    warm_up: Option<&'static str>,
}

#[derive(Clone, Copy)]
enum Until {
    Elapsed(Duration),
    Count(u64),
}

impl Plan {
    pub fn timed(connections: usize, d: Duration) -> Self {
        Self {
            connections,
            until: Until::Elapsed(d),
            warm_up: None,
        }
    }

    pub fn counted(connections: usize, n: u64) -> Self {
        Self {
            connections,
            until: Until::Count(n),
            warm_up: None,
        }
    }

    /// Every connection first sends `GET path` (not measured), then all start together: clients
    /// that already had the page open when the rush began. The run's time and CPU are counted
    /// from that start.
    pub fn after_warm_up(self, path: &'static str) -> Self {
        Self {
            warm_up: Some(path),
            ..self
        }
    }
}

/// When the measured part of a run began, and the CPU counters then.
type Start = Arc<OnceLock<(Instant, crate::cpu::Ticks)>>;

pub type Generator = Arc<dyn Fn(u64) -> Request + Send + Sync>;
/// Receives every response body (parsed only when a sink is given).
pub type Sink = Arc<dyn Fn(&serde_json::Value) + Send + Sync>;

#[derive(Default)]
pub struct Report {
    pub requests: u64,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    /// Every answer: latency, status, and whether it was its connection's first.
    answers: Vec<(u64, u16, bool)>,
    /// CPU ticks each part of the stack spent meanwhile (see `cpu`).
    cpu: crate::cpu::Ticks,
}

impl Report {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (self.latencies_us.len() - 1) as f64).round() as usize;
        self.latencies_us[rank] as f64 / 1000.0
    }

    /// Answers that were 5xx, or no answer at all.
    pub fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s == 0 || **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub fn statuses(&self) -> String {
        self.statuses
            .iter()
            .map(|(s, n)| {
                if *s == 0 {
                    format!("err:{n}")
                } else {
                    format!("{s}:{n}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Where the CPU went, per request.
    pub fn cpu_per_request(&self) -> Option<String> {
        crate::cpu::per_request(self.cpu, self.requests)
    }

    /// Who the slowest 1% of answers were: by status, and how many were the first request of
    /// their connection (which pays for opening it).
    pub fn slowest_percent(&self) -> String {
        let mut answers = self.answers.clone();
        answers.sort_unstable_by_key(|a| std::cmp::Reverse(a.0));
        let slow = &answers[..answers.len().div_ceil(100)];
        let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
        for (_, status, _) in slow {
            *by_status.entry(*status).or_default() += 1;
        }
        let firsts = slow.iter().filter(|a| a.2).count();
        let spread = |first: bool| {
            let mut took: Vec<u64> = answers
                .iter()
                .filter(|a| a.2 == first)
                .map(|a| a.0)
                .collect();
            took.sort_unstable();
            let at = |p: f64| {
                let rank = ((p / 100.0) * (took.len().saturating_sub(1)) as f64).round() as usize;
                took.get(rank).map_or(0.0, |us| *us as f64 / 1000.0)
            };
            if took.is_empty() {
                "none".to_owned()
            } else {
                format!("p50 {:.1} ms, p99 {:.1} ms", at(50.0), at(99.0))
            }
        };
        format!(
            "slowest 1%: {} ({firsts} first on their connection); first requests {}, the rest {}",
            by_status
                .iter()
                .map(|(s, n)| format!("{s}:{n}"))
                .collect::<Vec<_>>()
                .join(" "),
            spread(true),
            spread(false)
        )
    }

    /// Runs one after another, as one report: their requests over their summed time.
    pub fn combine(reports: Vec<Report>) -> Report {
        let mut all = Report::default();
        for r in reports {
            all.elapsed += r.elapsed;
            all.merge(r);
        }
        all.latencies_us.sort_unstable();
        all
    }

    fn merge(&mut self, other: Report) {
        self.requests += other.requests;
        self.latencies_us.extend(other.latencies_us);
        self.answers.extend(other.answers);
        for (mine, theirs) in self.cpu.iter_mut().zip(other.cpu) {
            *mine += theirs;
        }
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
    }
}

const CLIENT_THREADS: usize = 2;

pub fn run(base: &str, plan: Plan, generate: Generator) -> Report {
    run_inner(base, plan, generate, None)
}

/// Like [`run`], handing every response body to `sink`.
pub fn run_collect(base: &str, plan: Plan, generate: Generator, sink: Sink) -> Report {
    run_inner(base, plan, generate, Some(sink))
}

fn run_inner(base: &str, plan: Plan, generate: Generator, sink: Option<Sink>) -> Report {
    let counter = Arc::new(AtomicU64::new(0));
    let start: Start = Arc::default();
    if plan.warm_up.is_none() {
        let _ = start.set((Instant::now(), crate::cpu::now()));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(plan.connections));
    let duration = match plan.until {
        Until::Elapsed(d) => Some(d),
        Until::Count(_) => None,
    };
    let limit = match plan.until {
        Until::Count(n) => n,
        Until::Elapsed(_) => u64::MAX,
    };
    let threads: Vec<_> = (0..CLIENT_THREADS)
        .map(|t| {
            let per_thread = plan.connections / CLIENT_THREADS
                + usize::from(t < plan.connections % CLIENT_THREADS);
            let shared = Shared {
                base: base.to_owned(),
                counter: counter.clone(),
                limit,
                duration,
                generate: generate.clone(),
                sink: sink.clone(),
                warm_up: plan.warm_up,
                barrier: barrier.clone(),
                start: start.clone(),
            };
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(client_thread(shared, per_thread))
            })
        })
        .collect();
    let mut report = Report::default();
    for t in threads {
        if let Ok(r) = t.join() {
            report.merge(r);
        }
    }
    if let Some((started, cpu_before)) = start.get() {
        report.elapsed = started.elapsed();
        report.cpu = crate::cpu::since(*cpu_before);
    }
    report.latencies_us.sort_unstable();
    report
}

/// What every connection task of a run shares.
#[derive(Clone)]
struct Shared {
    base: String,
    counter: Arc<AtomicU64>,
    limit: u64,
    duration: Option<Duration>,
    generate: Generator,
    sink: Option<Sink>,
    warm_up: Option<&'static str>,
    barrier: Arc<tokio::sync::Barrier>,
    start: Start,
}

async fn client_thread(shared: Shared, connections: usize) -> Report {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .connector(awc::Connector::new().limit(connections.max(1)))
        .finish();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, shared) = (client.clone(), shared.clone());
            actix_web::rt::spawn(async move {
                let Shared {
                    base,
                    counter,
                    limit,
                    duration,
                    generate,
                    sink,
                    warm_up,
                    barrier,
                    start,
                } = shared;
                let mut report = Report::default();
                let mut first = true;
                if let Some(path) = warm_up {
                    // Whatever the answer, every task reaches the barrier, or none would start.
                    if let Ok(mut res) = client.get(format!("{base}{path}")).send().await {
                        let _ = res.body().limit(1 << 20).await;
                    }
                    first = false;
                    if barrier.wait().await.is_leader() {
                        let _ = start.set((Instant::now(), crate::cpu::now()));
                    }
                }
                let deadline = duration.and_then(|d| start.get().map(|(at, _)| *at + d));
                loop {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    if i >= limit {
                        break;
                    }
                    let req = generate(i);
                    let mut builder = client.request(req.method, format!("{base}{}", req.path));
                    if let Some(t) = &req.token {
                        builder = builder.insert_header(("Authorization", format!("Bearer {t}")));
                    }
                    let start = Instant::now();
                    let sent = match &req.body {
                        Some(b) => builder.send_json(b).await,
                        None => builder.send().await,
                    };
                    let status = match sent {
                        Ok(mut res) => {
                            let body = res.body().limit(1 << 20).await;
                            if let (Some(sink), Ok(bytes)) = (&sink, &body) {
                                if let Ok(v) = serde_json::from_slice(bytes) {
                                    sink(&v);
                                }
                            }
                            res.status().as_u16()
                        }
                        Err(_) => 0,
                    };
                    let took = start.elapsed().as_micros() as u64;
                    report.latencies_us.push(took);
                    report.answers.push((took, status, first));
                    first = false;
                    report.requests += 1;
                    *report.statuses.entry(status).or_default() += 1;
                }
                report
            })
        })
        .collect();
    let mut report = Report::default();
    for t in tasks {
        if let Ok(r) = t.await {
            report.merge(r);
        }
    }
    report
}
