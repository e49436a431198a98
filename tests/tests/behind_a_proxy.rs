//! Behind a real reverse proxy: nginx in front of two instances, as the README's production
//! section sets it up. With the proxy trusted, every client has its own address in the log-in
//! throttle; a client cannot choose its address by writing `X-Forwarded-For` itself.
//!
//! Clients come from distinct loopback addresses (all of 127.0.0.0/8 reaches this host), so the
//! proxy sees each person at an address of their own, as it would on a network.

use integration_tests::app::{StatusCode, TestApp};
use integration_tests::Backend;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// An nginx of this test's own, in a folder of its own, stopped on drop.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start(upstreams: &[u16]) -> Self {
        let dir = std::env::temp_dir().join(format!("nginx-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("nginx folder");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let servers: String = upstreams
            .iter()
            .map(|p| format!("server 127.0.0.1:{p};"))
            .collect();
        let d = dir.display();
        let conf = format!(
            "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid;
             error_log {d}/error.log warn;
             events {{ worker_connections 1024; }}
             http {{
               access_log off;
               client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
               fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
               upstream api {{ {servers} keepalive 16; }}
               server {{
                 listen 127.0.0.1:{port};
                 location / {{
                   proxy_pass http://api;
                   proxy_http_version 1.1;
                   proxy_set_header Connection \"\";
                   proxy_set_header Host $host;
                   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                 }}
               }}
             }}"
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("nginx.conf");
        let binary = ["/usr/sbin/nginx", "nginx"]
            .into_iter()
            .find(|b| Command::new(b).arg("-v").output().is_ok())
            .expect("nginx is installed (scripts/ensure-services.sh installs it)");
        let child = Command::new(binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf_path)
            .spawn()
            .expect("nginx starts");
        // Owned from here on: a panic below still stops it.
        let nginx = Self { child, port, dir };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return nginx;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "nginx did not listen on {port}: {:?}",
            std::fs::read_to_string(nginx.dir.join("error.log"))
        );
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A log-in through the proxy from `client`, with extra headers.
async fn login_via(
    proxy: &Nginx,
    client: Ipv4Addr,
    name: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> StatusCode {
    let connector = awc::Connector::new().local_address(IpAddr::V4(client));
    let http = awc::Client::builder()
        .connector(connector)
        .timeout(Duration::from_secs(30))
        .finish();
    let mut req = http.post(format!("http://127.0.0.1:{}/api/v1/auth/login", proxy.port));
    for header in headers {
        req = req.append_header(*header);
    }
    let res = req
        .send_json(&json!({"username": name, "password": password}))
        .await
        .expect("the proxy answers");
    res.status()
}

fn person(i: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 1, i)
}

#[actix_web::test]
async fn behind_nginx_each_client_has_its_own_address_and_cannot_forge_one() {
    // The production limits (the test profile lifts them).
    let first = TestApp::spawn_with(
        Backend::Server,
        &[
            ("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
            ("APP__AUTH__THROTTLE_PER_ACCOUNT_AND_CLIENT", "5"),
            ("APP__AUTH__THROTTLE_PER_ACCOUNT", "50"),
            ("APP__AUTH__THROTTLE_PER_CLIENT", "100"),
        ],
    )
    .await;
    let second = first.another_instance().await;
    let port = |app: &TestApp| {
        app.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    };
    let proxy = Nginx::start(&[port(&first), port(&second)]);

    // 110 people, each mistyping their own password once, through the proxy: before the proxy
    // was trusted they all shared its address, and the last 10 were answered 429.
    let mut names = Vec::new();
    for _ in 0..110 {
        let name = first.name("reader");
        let r = first
            .post(
                "/api/v1/auth/signup",
                None,
                &json!({"username": name, "password": "password123"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        names.push(name);
    }
    for (i, name) in names.iter().enumerate() {
        let status = login_via(&proxy, person(i as u8 + 1), name, "mistyped-password", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "person {i}");
    }
    // Then a newcomer with the right password gets in.
    let status = login_via(&proxy, person(200), &names[0], "password123", &[]).await;
    assert_eq!(status, StatusCode::OK);

    // One client cannot pass for many by writing X-Forwarded-For itself: nginx appends the
    // address it saw, and that is the one the throttle counts (5 per account and address).
    let guesser = person(250);
    let mut statuses = Vec::new();
    for i in 0..6 {
        let forged = format!("203.0.113.{i}");
        let headers = [("X-Forwarded-For", forged.as_str())];
        statuses.push(login_via(&proxy, guesser, &names[1], "guess-guess", &headers).await);
    }
    assert_eq!(&statuses[..5], &[StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
}
