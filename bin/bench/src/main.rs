//! bench: drives a running api-server with the documented workloads and prints requests/s and
//! latency percentiles for each. Started by `make bench` (scripts/bench.sh), which also starts
//! the release server on a fresh database.

mod load;
mod setup;

use load::{run, Plan, Report, Request};
use std::sync::Arc;
use std::time::Duration;

struct Args {
    base: String,
    admin_user: String,
    admin_password: String,
    seconds: u64,
    connections: usize,
    confirms: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        base: "http://127.0.0.1:18080".into(),
        admin_user: "bench_admin".into(),
        admin_password: "bench-admin-password".into(),
        seconds: 10,
        connections: 64,
        confirms: 30_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => a.base = value()?,
            "--admin-user" => a.admin_user = value()?,
            "--admin-password" => a.admin_password = value()?,
            "--seconds" => a.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--connections" => {
                a.connections = value()?
                    .parse()
                    .map_err(|e| format!("--connections: {e}"))?
            }
            "--confirms" => {
                a.confirms = value()?.parse().map_err(|e| format!("--confirms: {e}"))?
            }
            "--help" | "-h" => {
                println!(
                    "bench [--base URL] [--seconds N] [--connections N] [--confirms N] \
                     [--admin-user NAME] [--admin-password PW]"
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
    let fixture = setup::prepare(&a.base, &a.admin_user, &a.admin_password, a.confirms);
    println!(
        "workload                                   conns   requests      req/s    p50 ms    p99 ms  statuses"
    );

    let ceiling = run(
        &a.base,
        Plan::timed(a.connections, duration),
        Arc::new(|_| Request::get("/health", None)),
    );
    print_row("W0 ceiling: GET /health (trivial)", a.connections, &ceiling);

    let user = fixture.tokens[0].clone();
    let date = fixture.date.clone();
    let w1 = run(
        &a.base,
        Plan::timed(a.connections, duration),
        Arc::new(move |_| {
            Request::get(
                &format!("/api/v1/exam-slots/available?date={date}"),
                Some(&user),
            )
        }),
    );
    print_row("W1 GET available slots (auth)", a.connections, &w1);

    let tokens = fixture.tokens.clone();
    let w2 = run(
        &a.base,
        Plan::timed(a.connections, duration),
        Arc::new(move |i| {
            // Spread over users, days 5..85 and the 24 hours.
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
    print_row("W2 POST reservation (many users/slots)", a.connections, &w2);

    let ids = Arc::new(fixture.storm_ids.clone());
    let admin = fixture.admin.clone();
    let n = ids.len() as u64;
    let w3 = run(
        &a.base,
        Plan::counted(a.connections, n),
        Arc::new(move |i| {
            let id = ids[i as usize];
            Request::post_empty(
                &format!("/api/v1/admin/reservations/{id}/confirm"),
                Some(&admin),
            )
        }),
    );
    print_row("W3 confirm storm on one slot", a.connections, &w3);
    let confirmed = setup::hot_slot_confirmed(&a.base, &fixture);
    println!(
        "   W3 check: hot slot confirmed {confirmed} of 50000 ({} x {} seats asked)",
        fixture.storm_ids.len(),
        setup::STORM_SEATS
    );

    let logins = fixture.usernames.clone();
    let w4 = run(
        &a.base,
        Plan::timed(a.connections, duration),
        Arc::new(move |i| {
            let name = &logins[(i as usize) % logins.len()];
            let body = serde_json::json!({"username": name, "password": setup::PASSWORD});
            Request::post("/api/v1/auth/login", None, body)
        }),
    );
    print_row("W4 POST login (argon2id)", a.connections, &w4);

    // W5: a voucher drop. Every reader presses once at the same time; then the presses go on
    // after the voucher is gone, which the admission gate answers without the database.
    let drop = setup::prepare_drop(
        &a.base,
        &fixture.admin,
        setup::DROP_READERS,
        setup::DROP_QUANTITY,
    );
    let tokens = Arc::new(drop.tokens);
    let path = format!("/api/v1/events/{}/claim", drop.voucher_id);
    let (t, p) = (tokens.clone(), path.clone());
    let rush = run(
        &a.base,
        Plan::counted(a.connections, tokens.len() as u64),
        Arc::new(move |i| Request::post_empty(&p, Some(&t[i as usize]))),
    );
    print_row("W5a drop: every reader claims once", a.connections, &rush);
    let after = run(
        &a.base,
        Plan::timed(a.connections, duration),
        Arc::new(move |i| Request::post_empty(&path, Some(&tokens[i as usize % tokens.len()]))),
    );
    print_row("W5b claims after the drop ended", a.connections, &after);
    println!(
        "   W5 check: {} issued of {} ({} readers); after the drop {:.1}% of answers were 409",
        rush.count(201),
        setup::DROP_QUANTITY,
        setup::DROP_READERS,
        100.0 * after.count(409) as f64 / after.requests.max(1) as f64,
    );
}

fn print_row(name: &str, conns: usize, r: &Report) {
    println!(
        "{name:<42} {conns:>5} {:>10} {:>10.0} {:>9.2} {:>9.2}  {}",
        r.requests,
        r.per_second(),
        r.percentile_ms(50.0),
        r.percentile_ms(99.0),
        r.statuses()
    );
}
