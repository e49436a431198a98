//! Log-in throttling (OWASP ASVS 2.2): failures are limited per account and address, per
//! account and per address; unknown names are throttled like real ones; a success clears the
//! account's counts. Attempts are paid for before the hash, so concurrent guesses cannot slip
//! past the limit, and a browser that logged in before (its device cookie) is never locked out
//! by failures from elsewhere.

use integration_tests::app::{Reply, StatusCode, TestApp};
use integration_tests::{on_both_backends, Backend};
use serde_json::json;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Client addresses are taken from `X-Forwarded-For`, as behind a proxy on this host: the
/// tests play clients at many addresses.
const BEHIND_A_PROXY: (&str, &str) = ("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1");

const LIMITS: [(&str, &str); 3] = [
    ("APP__AUTH__THROTTLE_PER_ACCOUNT_AND_CLIENT", "3"),
    ("APP__AUTH__THROTTLE_PER_ACCOUNT", "10"),
    ("APP__AUTH__THROTTLE_PER_CLIENT", "30"),
];

async fn login(app: &TestApp, name: &str, password: &str) -> integration_tests::app::Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"username": name, "password": password}),
    )
    .await
}

async fn signup(app: &TestApp, name: &str) {
    let r = app
        .post(
            "/api/v1/auth/signup",
            None,
            &json!({"username": name, "password": "password123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

async fn failed_log_ins_are_throttled_per_account_and_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, &LIMITS).await;
    signup(&app, "alice").await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, "alice", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = login(&app, "alice", "password123").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(r.code(), "too_many_attempts");
    assert_eq!(r.content_type, "application/problem+json");
    let retry: u64 = r
        .retry_after
        .as_deref()
        .unwrap_or("0")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");

    // An unknown name is throttled the same way: the answer reveals nothing.
    for _ in 0..3 {
        assert_eq!(
            login(&app, "ghost", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&app, "ghost", "wrong-password").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Another account from the same address is not held back by alice's failures.
    signup(&app, "bob").await;
    assert_eq!(
        login(&app, "bob", "password123").await.status,
        StatusCode::OK
    );
}

async fn a_successful_log_in_clears_the_account_counts(backend: Backend) {
    let app = TestApp::spawn_with(backend, &LIMITS).await;
    signup(&app, "carol").await;
    for _ in 0..2 {
        assert_eq!(
            login(&app, "carol", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&app, "carol", "password123").await.status,
        StatusCode::OK
    );
    // Counts start again: three more failures are answered 401 before the fourth waits.
    for _ in 0..3 {
        assert_eq!(
            login(&app, "carol", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&app, "carol", "password123").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A log-in from `client` (as the proxy reports it), with the device cookie when given.
async fn login_from(
    app: &TestApp,
    name: &str,
    password: &str,
    client: &str,
    device: Option<&str>,
) -> Reply {
    let cookie = device.map(|d| format!("device={d}"));
    let mut headers = vec![("X-Forwarded-For", client)];
    if let Some(cookie) = &cookie {
        headers.push(("Cookie", cookie.as_str()));
    }
    let body = json!({"username": name, "password": password}).to_string();
    app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        Some("application/json"),
        Some(body.into_bytes()),
        &headers,
    )
    .await
}

/// The device token a log-in set as a cookie.
fn device_cookie(r: &Reply) -> String {
    let set = r.header("set-cookie").expect("a device cookie is set");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Path=/api/v1/auth/login"), "{set}");
    set.strip_prefix("device=")
        .and_then(|rest| rest.split(';').next())
        .expect("device=...")
        .to_owned()
}

/// Sends every log-in at once; tallies the answers by status.
async fn all_at_once(app: &Rc<TestApp>, attempts: Vec<(String, String)>) -> BTreeMap<u16, usize> {
    let handles: Vec<_> = attempts
        .into_iter()
        .map(|(password, client)| {
            let app = app.clone();
            actix_web::rt::spawn(async move {
                login_from(&app, "alice", &password, &client, None)
                    .await
                    .status
                    .as_u16()
            })
        })
        .collect();
    let mut tally = BTreeMap::new();
    for h in handles {
        *tally.entry(h.await.expect("log-in task")).or_default() += 1;
    }
    tally
}

async fn concurrent_guesses_reach_the_hash_no_more_often_than_the_limit(backend: Backend) {
    let app = Rc::new(
        TestApp::spawn_with(
            backend,
            &[
                BEHIND_A_PROXY,
                ("APP__AUTH__THROTTLE_PER_ACCOUNT_AND_CLIENT", "5"),
            ],
        )
        .await,
    );
    signup(&app, "alice").await;
    // 99 wrong guesses and the right password last, all sent together from one address.
    let mut guesses: Vec<_> = (0..99)
        .map(|i| (format!("guess-{i:03}-x"), "203.0.113.7".to_owned()))
        .collect();
    guesses.push(("password123".to_owned(), "203.0.113.7".to_owned()));
    let tally = all_at_once(&app, guesses).await;
    let checked = tally.get(&401).unwrap_or(&0) + tally.get(&200).unwrap_or(&0);
    assert!(checked <= 5, "at most the limit is checked: {tally:?}");
    assert_eq!(
        tally.get(&429).copied().unwrap_or(0),
        100 - checked,
        "the rest are refused before the hash: {tally:?}"
    );
    assert_eq!(
        tally
            .keys()
            .filter(|s| ![200, 401, 429].contains(*s))
            .count(),
        0
    );

    // The flood cost the account-wide bucket only what it checked: the owner, elsewhere, logs
    // in with no cookie at all.
    let owner = login_from(&app, "alice", "password123", "198.51.100.20", None).await;
    assert_eq!(owner.status, StatusCode::OK, "{:?}", owner.body);
}

async fn rotating_addresses_cannot_lock_the_owner_out_of_a_trusted_browser(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[BEHIND_A_PROXY, ("APP__AUTH__THROTTLE_PER_ACCOUNT", "10")],
    )
    .await;
    signup(&app, "alice").await;
    // The owner's browser logged in once before, and kept its device cookie.
    let first = login_from(&app, "alice", "password123", "198.51.100.20", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let device = device_cookie(&first);

    // An attacker fails from a new address each time, well past the account-wide limit.
    for i in 0..15 {
        let r = login_from(&app, "alice", "nope-nope", &format!("192.0.2.{i}"), None).await;
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&r.status),
            "{:?}",
            r.status
        );
    }
    // A browser the account does not know is held back by the account-wide limit ...
    let stranger = login_from(&app, "alice", "password123", "198.51.100.99", None).await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS);
    // ... but the owner's browser, from any address, logs in.
    for client in ["198.51.100.20", "198.51.100.21"] {
        let owner = login_from(&app, "alice", "password123", client, Some(&device)).await;
        assert_eq!(owner.status, StatusCode::OK, "{:?}", owner.body);
        assert!(
            owner.header("set-cookie").is_none(),
            "a trusted browser keeps its cookie"
        );
    }
    // Another account's cookie, or a forged one, trusts nothing.
    signup(&app, "mallory").await;
    let mallory = login_from(&app, "mallory", "password123", "192.0.2.200", None).await;
    let foreign = device_cookie(&mallory);
    for cookie in [foreign.as_str(), "forged.token.value"] {
        let r = login_from(&app, "alice", "password123", "192.0.2.201", Some(cookie)).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
}

async fn a_trusted_browser_has_a_tight_limit_of_its_own(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[BEHIND_A_PROXY, LIMITS[0]]).await;
    signup(&app, "alice").await;
    let first = login_from(&app, "alice", "password123", "198.51.100.20", None).await;
    let device = device_cookie(&first);
    for _ in 0..3 {
        let r = login_from(&app, "alice", "wrong", "198.51.100.20", Some(&device)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, "alice", "wrong", "198.51.100.30", Some(&device)).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a stolen cookie buys no extra guesses from another address"
    );
}

on_both_backends!(
    failed_log_ins_are_throttled_per_account_and_address,
    a_successful_log_in_clears_the_account_counts,
    concurrent_guesses_reach_the_hash_no_more_often_than_the_limit,
    rotating_addresses_cannot_lock_the_owner_out_of_a_trusted_browser,
    a_trusted_browser_has_a_tight_limit_of_its_own,
);
