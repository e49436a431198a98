//! The process as operators run it: it drains on SIGTERM, keeps idle keep-alive connections
//! open as long as configured, and a burst of log-ins neither exhausts memory nor waits forever.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

mod common;
use common::{embedded_command, start_all, start_as_given, Server};

/// A database file in a folder of this test's own, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!(
            "exam-booking-process-{}",
            uuid::Uuid::new_v4().simple()
        )))
    }

    fn file(&self, name: &str) -> PathBuf {
        std::fs::create_dir_all(&self.0).expect("scratch folder");
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn status(s: &Server, path: &str) -> u16 {
    awc::Client::default()
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

#[actix_web::test]
async fn sigterm_takes_the_instance_out_of_rotation_before_it_stops() {
    let scratch = Scratch::new();
    let log = scratch.file("server.log");
    let mut cmd = embedded_command(&scratch.file("db.sqlite3"));
    cmd.env("RUST_LOG", "info")
        .env("APP__LOG__FORMAT", "json")
        .env("APP__SERVER__DRAIN_SECONDS", "2")
        .stdout(std::fs::File::create(&log).expect("log file"));
    let mut server = start_as_given([cmd]).await.remove(0);
    assert_eq!(status(&server, "/ready").await, 200);

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status(&server, "/ready").await, 503, "draining");
    assert_eq!(status(&server, "/health").await, 200, "still serving");

    let exit = actix_web::rt::task::spawn_blocking(move || {
        let exit = server.wait_for_exit(Duration::from_secs(15));
        (exit, server)
    })
    .await
    .expect("join");
    let status = exit.0.expect("the process stopped by itself");
    assert!(status.success(), "{status:?}");
    let lines = std::fs::read_to_string(&log).expect("log");
    let started = lines.find("shutdown started").expect("start logged");
    let done = lines.find("shutdown complete").expect("end logged");
    assert!(started < done);
    // Every line is JSON when the output is not a terminal, and has no colour codes.
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        assert!(line.starts_with('{'), "not JSON: {line}");
        assert!(!line.contains('\u{1b}'), "colour codes: {line}");
    }
}

/// Sends one request on `stream` and reads its whole answer (the body of /health is small).
fn get_health(stream: &mut TcpStream) -> std::io::Result<String> {
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")?;
    let mut buffer = [0u8; 4096];
    let n = stream.read(&mut buffer)?;
    Ok(String::from_utf8_lossy(&buffer[..n]).into_owned())
}

#[actix_web::test]
async fn an_idle_keep_alive_connection_is_kept_as_long_as_configured() {
    let scratch = Scratch::new();
    let mut long = embedded_command(&scratch.file("a.sqlite3"));
    long.env("APP__SERVER__KEEP_ALIVE_SECONDS", "75");
    let mut short = embedded_command(&scratch.file("b.sqlite3"));
    short.env("APP__SERVER__KEEP_ALIVE_SECONDS", "1");
    let servers = start_all([long, short]).await;
    let address = |s: &Server| s.base.trim_start_matches("http://").to_owned();
    let (a, b) = (address(&servers[0]), address(&servers[1]));

    let outcome = actix_web::rt::task::spawn_blocking(move || {
        let mut kept = TcpStream::connect(a).expect("connect");
        let mut dropped = TcpStream::connect(b).expect("connect");
        for s in [&kept, &dropped] {
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
        }
        let first = (get_health(&mut kept), get_health(&mut dropped));
        // Longer than actix's old default of 5 s, which clients reusing idle connections hit.
        std::thread::sleep(Duration::from_secs(6));
        let again = (get_health(&mut kept), get_health(&mut dropped));
        (first, again)
    })
    .await
    .expect("join");
    let ((k1, d1), (k2, d2)) = outcome;
    assert!(k1.expect("answered").starts_with("HTTP/1.1 200"));
    assert!(d1.expect("answered").starts_with("HTTP/1.1 200"));
    assert!(
        k2.expect("reused after 6 s idle")
            .starts_with("HTTP/1.1 200"),
        "a 75 s keep-alive outlives a 6 s pause"
    );
    // With 1 s the server closed the idle connection: the reuse reads nothing.
    assert!(d2.map_or(true, |answer| answer.is_empty()));
}

/// A field of the process's status in MB: `VmHWM` (peak resident) or `VmRSS` (resident now).
fn memory_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("memory field");
    kb / 1024.0
}

fn peak_rss_mb(pid: u32) -> f64 {
    memory_mb(pid, "VmHWM:")
}

async fn post(base: String, path: &'static str, body: serde_json::Value) -> (u16, Option<String>) {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish();
    match client.post(format!("{base}{path}")).send_json(&body).await {
        Ok(r) => (
            r.status().as_u16(),
            r.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ),
        Err(_) => (0, None),
    }
}

const WORKERS: f64 = 2.0;

#[actix_web::test]
async fn a_burst_of_sign_ups_and_log_ins_keeps_memory_bounded_and_gives_it_back_when_idle() {
    let scratch = Scratch::new();
    let mut cmd = embedded_command(&scratch.file("db.sqlite3"));
    cmd.env("APP__AUTH__HASH_WORKERS", "2")
        .env("APP__AUTH__HASH_WAIT_MS", "120000");
    let server = start_all([cmd]).await.remove(0);
    let burst = 150;
    for path in ["/api/v1/auth/signup", "/api/v1/auth/login"] {
        let calls = (0..burst).map(|i| {
            let body =
                serde_json::json!({"username": format!("burst{i}"), "password": "password123"});
            post(server.base.clone(), path, body)
        });
        let answers = futures_join(calls).await;
        let ok = answers
            .iter()
            .filter(|(s, _)| *s == 200 || *s == 201)
            .count();
        assert_eq!(
            ok, burst,
            "{path}: every request waited its turn and succeeded"
        );
    }
    let peak = peak_rss_mb(server.pid());
    let bound = 64.0 + 20.0 * WORKERS;
    assert!(peak <= bound, "peak RSS {peak:.0} MB above {bound} MB");

    // Idle, each hashing worker gives its 19 MiB buffer back to the OS within seconds.
    let given_back = peak - 15.0 * WORKERS;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut now = memory_mb(server.pid(), "VmRSS:");
    while now > given_back && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = memory_mb(server.pid(), "VmRSS:");
    }
    assert!(
        now <= given_back,
        "resident {now:.0} MB after idling, peak {peak:.0} MB: the buffers were kept"
    );

    // Another burst maps fresh buffers; the freed ones did not grow the heap meanwhile.
    let calls = (0..40).map(|i| {
        let body = serde_json::json!({"username": format!("burst{i}"), "password": "password123"});
        post(server.base.clone(), "/api/v1/auth/login", body)
    });
    let answers = futures_join(calls).await;
    assert!(answers.iter().all(|(s, _)| *s == 200));
    let peak = peak_rss_mb(server.pid());
    assert!(
        peak <= bound,
        "peak RSS {peak:.0} MB above {bound} MB after a second burst"
    );
}

#[actix_web::test]
async fn log_ins_that_cannot_get_a_hashing_worker_in_time_are_told_to_retry() {
    let scratch = Scratch::new();
    let mut cmd = embedded_command(&scratch.file("db.sqlite3"));
    cmd.env("APP__AUTH__HASH_WORKERS", "1")
        .env("APP__AUTH__HASH_WAIT_MS", "1");
    let server = start_all([cmd]).await.remove(0);
    let calls = (0..20).map(|i| {
        let body = serde_json::json!({"username": format!("nobody{i}"), "password": "password123"});
        post(server.base.clone(), "/api/v1/auth/login", body)
    });
    let answers = futures_join(calls).await;
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!busy.is_empty(), "{answers:?}");
    assert!(busy.iter().all(|(_, retry)| retry.as_deref() == Some("1")));
    assert!(
        answers.iter().all(|(s, _)| *s == 401 || *s == 503),
        "{answers:?}"
    );
}

/// Runs the futures concurrently on this thread and collects their outputs in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    let handles: Vec<_> = futures.map(actix_web::rt::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
