//! bench: drives a running api-server with the documented workloads and prints, for each, the
//! rate, the p99 latency, the ceiling it is judged against (measured in the same run on the
//! same machine) and the ratio. Started by `make bench` (scripts/bench.sh), which also starts
//! the release server on a fresh database and measures the PostgreSQL ceilings with pgbench.

mod ceiling;
mod cpu;
mod load;
mod rush;
mod setup;
mod table;

use load::{run, Plan, Request};
use std::sync::Arc;
use std::time::Duration;
use table::{Ceiling, Row, Table};

struct Args {
    base: String,
    admin_user: String,
    admin_password: String,
    seconds: u64,
    backend: String,
    server_pid: Option<u32>,
    pg_insert_tps: Option<f64>,
    pg_hot_update_tps: Option<f64>,
    /// PostgreSQL's own rate for the whole confirm statement (pgbench), shown next to W3.
    pg_confirm_tps: Option<f64>,
    /// Workloads to run (`w1`, `w2`, `w3`, `w4`, `flood`, `drop`, `w6`); all when empty. `/health`
    /// always runs: it is the ceiling of the others.
    only: Vec<String>,
    /// A shell command run before each workload to settle the database (a `VACUUM`), so that
    /// no workload pays for cleaning up after the one before it.
    settle: Option<String>,
}

impl Args {
    fn wants(&self, workload: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|w| w == workload)
    }

    /// Whether `workload` runs; if it does, the database is settled for it first.
    fn begin(&self, workload: &str) -> bool {
        let wanted = self.wants(workload);
        if wanted {
            self.settle();
        }
        wanted
    }

    /// Runs the settle command. Autovacuum woken by one workload's writes (or by the pgbench
    /// ceilings' 200,000 rows) otherwise runs inside the next workload's measurement: it once
    /// cost 8.8 ms of PostgreSQL CPU per log-in during W4.
    fn settle(&self) {
        let Some(command) = &self.settle else { return };
        match std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .status()
        {
            Ok(status) if status.success() => {}
            outcome => eprintln!("bench: settling with `{command}` failed: {outcome:?}"),
        }
    }
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        base: "http://127.0.0.1:18080".into(),
        admin_user: "bench_admin".into(),
        admin_password: "bench-admin-password".into(),
        seconds: 10,
        backend: "server".into(),
        server_pid: None,
        pg_insert_tps: None,
        pg_hot_update_tps: None,
        pg_confirm_tps: None,
        only: Vec::new(),
        settle: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<f64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--base" => a.base = value()?,
            "--admin-user" => a.admin_user = value()?,
            "--admin-password" => a.admin_password = value()?,
            "--seconds" => a.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--backend" => a.backend = value()?,
            "--server-pid" => {
                a.server_pid = Some(value()?.parse().map_err(|e| format!("--server-pid: {e}"))?)
            }
            "--pg-insert-tps" => a.pg_insert_tps = Some(number(value()?)?),
            "--pg-hot-update-tps" => a.pg_hot_update_tps = Some(number(value()?)?),
            "--pg-confirm-tps" => a.pg_confirm_tps = Some(number(value()?)?),
            "--only" => a.only = value()?.split(',').map(str::to_owned).collect(),
            "--settle" => a.settle = Some(value()?),
            "--help" | "-h" => {
                println!(
                    "bench [--base URL] [--seconds N] [--backend NAME] [--server-pid PID] \
                     [--pg-insert-tps N] [--pg-hot-update-tps N] [--pg-confirm-tps N] [--admin-user NAME] \
                     [--admin-password PW] [--only w1,w2,w3,w4,flood,drop,w6] [--settle COMMAND]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(2);
        }
    };
    let duration = Duration::from_secs(a.seconds);
    let timed = |connections| Plan::timed(connections, duration);
    let fixture = setup::prepare(&a.base, &a.admin_user, &a.admin_password);
    let mut table = Table::new(&a.backend);

    // Ceilings measured now, on this machine, next to the workloads they bound.
    a.settle();
    let health = run(
        &a.base,
        timed(64),
        Arc::new(|_| Request::get("/health", None)),
    );
    let health_rate = health.per_second();
    table.push(Row::new("W0 GET /health", 64, &health, Ceiling::None));

    let mut w1_rate = 0.0;
    if a.begin("w1") || a.begin("flood") {
        // W1: availability, 200 users over 56 dates; the server's memory is sampled meanwhile.
        let rss = a.server_pid.map(ceiling::RssSampler::start);
        let w1 = run(&a.base, timed(64), availability(&fixture));
        let w1_rss = rss.map(ceiling::RssSampler::stop);
        w1_rate = w1.per_second();
        table.push(
            Row::new(
                "W1 GET /exam-slots/available",
                64,
                &w1,
                Ceiling::health(health_rate),
            )
            .target(0.5)
            .p99_under(20.0)
            .note(w1_rss.map(|mb| format!("api-server RSS max {mb:.0} MB (target < 64)"))),
        );
    }

    if a.begin("w2") {
        // W2: pending reservations over 64 users and 1,920 slots.
        let tokens = fixture.tokens.clone();
        let w2 = run(
            &a.base,
            timed(64),
            Arc::new(move |i| {
                let token = &tokens[(i as usize) % tokens.len()];
                let (day, hour) = (5 + (i / 24) % 80, i % 24);
                let body = serde_json::json!({
                    "starts_at": setup::slot(day as i64, hour as i64),
                    "ends_at": setup::slot(day as i64, hour as i64 + 1),
                    "seats": 1 + (i % 5),
                });
                Request::post("/api/v1/reservations", Some(token), body)
            }),
        );
        table.push(
            Row::new(
                "W2 POST /reservations",
                64,
                &w2,
                Ceiling::pg("insert, 64 clients", a.pg_insert_tps),
            )
            .target(0.4),
        );
    }

    if a.begin("w3") {
        // W3: 400 confirms of 200 seats on one slot of 50,000 (exactly 250 fit), in rounds on
        // slots of their own; each round must end exact.
        let mut rounds = Vec::new();
        let mut exact_rounds = 0;
        for (round, ids) in fixture.storm_ids.iter().enumerate() {
            let ids = Arc::new(ids.clone());
            let admin = fixture.admin.clone();
            let report = run(
                &a.base,
                Plan::counted(32, ids.len() as u64),
                Arc::new(move |i| {
                    Request::post_empty(
                        &format!("/api/v1/admin/reservations/{}/confirm", ids[i as usize]),
                        Some(&admin),
                    )
                }),
            );
            let confirmed = setup::hot_slot_confirmed(&a.base, &fixture, round);
            if confirmed == 50_000 && report.count(200) == 250 && report.count(409) == 150 {
                exact_rounds += 1;
            }
            rounds.push(report);
        }
        let w3 = load::Report::combine(rounds);
        table.push(
            Row::new(
                "W3 confirm storm, one slot",
                32,
                &w3,
                Ceiling::pg("hot-row update", a.pg_hot_update_tps),
            )
            .target(0.5)
            .note(Some(format!(
                "{exact_rounds} of {} rounds exact: slot at 50000, 250 x 200, 150 x 409",
                fixture.storm_ids.len()
            )))
            .note(a.pg_confirm_tps.map(|tps| {
                format!(
                    "{:.2} of pgbench's rate for the whole confirm statement ({tps:.0}/s)",
                    w3.per_second() / tps
                )
            })),
        );
    }

    if a.begin("w4") {
        // W4: log-ins, bounded by argon2id itself. The host's speed for argon2 drifts within
        // seconds (raw argon2id once read 94/s right before a 10 s run and 53/s right after),
        // so the ceiling is measured in short slices taken turn about with the workload's, and
        // each side is summed over its slices: both then see the same host.
        let slices = a.seconds.max(1);
        let (mut w4_slices, mut hashes) = (Vec::new(), ceiling::Count::default());
        for _ in 0..slices {
            hashes += ceiling::argon2_verifications(Duration::from_secs(1));
            let slice = Plan::timed(16, Duration::from_secs(2));
            w4_slices.push(run(&a.base, slice, logins(&fixture)));
        }
        let w4 = load::Report::combine(w4_slices);
        table.push(
            Row::new(
                "W4 POST /auth/login",
                16,
                &w4,
                Ceiling::argon2(hashes.per_second()),
            )
            .target(0.95)
            .note(Some(format!(
                "raw argon2id {}, in {slices} slices of 1 s between the workload's slices of 2 s",
                hashes.spread()
            ))),
        );
    }

    if a.begin("flood") {
        // W4 flood: 64 connections logging in while W1 runs; W1 must keep 40% of its rate.
        let flood = {
            let (base, gen) = (a.base.clone(), logins(&fixture));
            std::thread::spawn(move || run(&base, Plan::timed(64, duration), gen))
        };
        let w1_flooded = run(&a.base, timed(64), availability(&fixture));
        let flood = flood.join().unwrap_or_default();
        table.push(
            Row::new(
                "W1 during a 64-connection log-in flood",
                64,
                &w1_flooded,
                Ceiling::Named("W1 alone", w1_rate),
            )
            .target(0.4)
            .note(Some(format!(
                "log-ins meanwhile {:.0}/s, {}",
                flood.per_second(),
                flood.statuses()
            ))),
        );
    }

    if a.begin("drop") {
        // The drop: 3,000 readers and 500 repeats rush 200 vouchers with 256 in flight.
        let drop = setup::prepare_drop(&a.base, &fixture.admin);
        let presses = Arc::new(drop.presses());
        let path = format!("/api/v1/events/{}/claim", drop.voucher_id);
        let (p, t) = (path.clone(), presses.clone());
        let rush = run(
            &a.base,
            // Readers wait on the event page: its listing opened their connections.
            Plan::counted(256, presses.len() as u64).after_warm_up("/api/v1/events"),
            Arc::new(move |i| Request::post_empty(&p, Some(&t[i as usize]))),
        );
        let issued = rush.count(201);
        table.push(
            Row::new(
                "W5a drop: 3,500 presses, 200 vouchers",
                256,
                &rush,
                Ceiling::None,
            )
            .p99_under(50.0)
            .note(Some(format!(
                "{issued} issued of {} ({}), 5xx: {}; {}",
                setup::DROP_QUANTITY,
                if issued == setup::DROP_QUANTITY as u64 {
                    "exact"
                } else {
                    "WRONG"
                },
                rush.server_errors(),
                rush.slowest_percent()
            ))),
        );
        let tokens = drop.tokens.clone();
        let after = run(
            &a.base,
            timed(64),
            Arc::new(move |i| Request::post_empty(&path, Some(&tokens[i as usize % tokens.len()]))),
        );
        table.push(
            Row::new(
                "W5b presses after the drop",
                64,
                &after,
                Ceiling::health(health_rate),
            )
            .note(Some(format!(
                "{:.1}% answered 409",
                100.0 * after.count(409) as f64 / after.requests.max(1) as f64
            ))),
        );
    }

    if a.begin("w6") {
        rush::prepare(&a.base, &fixture.admin);
        let report = run(
            &a.base,
            Plan::counted(256, rush::REQUESTS),
            rush::requests(fixture.tokens.clone()),
        );
        let held = rush::verify(&a.base, &fixture.admin);
        table.push(
            Row::new(
                "W6 registration rush: 20,000 on 5 first-come hours",
                256,
                &report,
                Ceiling::pg("hot-row update", a.pg_hot_update_tps),
            )
            .target(0.5)
            .p99_under(100.0)
            .note(Some(held)),
        );
    }

    table.print();
}

/// W1's requests: 200 users reading 56 dates.
fn availability(fixture: &setup::Fixture) -> load::Generator {
    let (tokens, dates) = (fixture.readers.clone(), fixture.dates.clone());
    Arc::new(move |i| {
        let token = &tokens[(i as usize) % tokens.len()];
        let date = &dates[(i as usize / 7) % dates.len()];
        Request::get(
            &format!("/api/v1/exam-slots/available?date={date}"),
            Some(token),
        )
    })
}

fn logins(fixture: &setup::Fixture) -> load::Generator {
    let names = fixture.usernames.clone();
    Arc::new(move |i| {
        let name = &names[(i as usize) % names.len()];
        let body = serde_json::json!({"username": name, "password": setup::PASSWORD});
        Request::post("/api/v1/auth/login", None, body)
    })
}
