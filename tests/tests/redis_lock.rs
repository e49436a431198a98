//! The Redis adapters against a real Redis: lock exclusion across pools, safe release, expiry,
//! bounded waits, revocations, and the admission gate.

use domain::voucher::VoucherId;
use domain::UserId;
use integration_tests::redis::TestRedis;
use ports::{Admission, AdmissionGate, DistributedLock, LockError, LockLease, SharedCache};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lock_excludes_holders_across_two_independent_pools() {
    let redis = TestRedis::new().await;
    let locks = [
        Arc::new(
            redis
                .backend()
                .lock(Duration::from_secs(5), Duration::from_secs(20)),
        ),
        Arc::new(
            redis
                .backend()
                .lock(Duration::from_secs(5), Duration::from_secs(20)),
        ),
    ];
    let inside = Arc::new(AtomicUsize::new(0));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (lock, inside, counter) = (locks[i % 2].clone(), inside.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let lease = lock.acquire("shared").await.expect("acquired");
            assert_eq!(
                inside.fetch_add(1, Ordering::SeqCst),
                0,
                "two holders at once"
            );
            // A deliberately non-atomic read-modify-write: only exclusion keeps it exact.
            let seen = counter.load(Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(2)).await;
            counter.store(seen + 1, Ordering::SeqCst);
            inside.fetch_sub(1, Ordering::SeqCst);
            lock.release(lease).await.expect("released");
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(counter.load(Ordering::SeqCst), 40);
    assert_eq!(redis.key_count().await, 0, "every lock released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_by_a_non_owner_is_a_no_op() {
    let redis = TestRedis::new().await;
    let lock = redis
        .backend()
        .lock(Duration::from_secs(5), Duration::from_millis(100));
    let lease = lock.acquire("r:1").await.expect("acquired");
    let forged = LockLease {
        key: lease.key.clone(),
        token: "not-the-token".into(),
    };
    lock.release(forged).await.expect("no error");
    assert!(
        matches!(lock.acquire("r:1").await, Err(LockError::Timeout)),
        "still held"
    );
    lock.release(lease).await.expect("released");
    lock.acquire("r:1").await.expect("free again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_frees_the_lock_and_its_late_release_spares_the_successor() {
    let redis = TestRedis::new().await;
    let lock = redis
        .backend()
        .lock(Duration::from_millis(200), Duration::from_secs(2));
    let stale = lock.acquire("r:2").await.expect("acquired");
    let started = Instant::now();
    let successor = lock.acquire("r:2").await.expect("acquired after expiry");
    assert!(started.elapsed() >= Duration::from_millis(100));
    lock.release(stale).await.expect("late release");
    let quick = redis
        .backend()
        .lock(Duration::from_secs(5), Duration::from_millis(50));
    assert!(
        matches!(quick.acquire("r:2").await, Err(LockError::Timeout)),
        "successor kept it"
    );
    lock.release(successor).await.expect("released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_is_bounded_and_an_unreachable_redis_fails_fast() {
    let redis = TestRedis::new().await;
    let lock = redis
        .backend()
        .lock(Duration::from_secs(5), Duration::from_millis(150));
    let _held = lock.acquire("r:3").await.expect("acquired");
    let started = Instant::now();
    assert!(matches!(lock.acquire("r:3").await, Err(LockError::Timeout)));
    assert!(started.elapsed() < Duration::from_secs(1));

    let dead = adapter_redis::RedisBackend::connect("redis://127.0.0.1:1", 2, "x:")
        .expect("pool")
        .lock(Duration::from_secs(5), Duration::from_secs(5));
    let started = Instant::now();
    assert!(matches!(
        dead.acquire("r").await,
        Err(LockError::Backend(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(4));
}

fn session(version: i64, revoked: &[&str]) -> domain::SessionState {
    domain::SessionState {
        user_id: UserId(5),
        version,
        role: domain::Role::Admin,
        session_version: 0,
        deleted: false,
        revoked: revoked.iter().map(|t| (*t).to_owned()).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cache_keeps_only_the_newest_state_across_pools() {
    let redis = TestRedis::new().await;
    let (a, b) = (redis.backend().cache(), redis.backend().cache());
    assert_eq!(a.view(UserId(5), None).await.expect("view").session, None);
    a.keep_session(&session(2, &["t1"])).await.expect("kept");
    // A slow rebuild from an older read must not put the older state back.
    b.keep_session(&session(1, &[])).await.expect("kept");
    let seen = b.view(UserId(5), None).await.expect("view").session;
    assert_eq!(seen, Some(session(2, &["t1"])));
    b.keep_session(&session(3, &["t1", "t2"]))
        .await
        .expect("kept");
    let seen = a.view(UserId(5), None).await.expect("view").session;
    assert_eq!(seen, Some(session(3, &["t1", "t2"])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_tags_change_with_the_counters_and_never_come_back_after_a_flush() {
    let redis = TestRedis::new().await;
    let cache = redis.backend().cache();
    let (d1, d2) = (
        time::macros::date!(2026 - 12 - 10),
        time::macros::date!(2026 - 12 - 11),
    );
    let tag = |d| {
        let cache = cache.clone();
        async move {
            cache
                .view(UserId(5), Some(d))
                .await
                .expect("view")
                .day
                .expect("a tag")
        }
    };
    let (t1, t2) = (tag(d1).await, tag(d2).await);
    assert_eq!(tag(d1).await, t1, "stable while nothing changes");
    cache.days_changed(&[d1]).await.expect("retagged");
    let t1b = tag(d1).await;
    assert_ne!(t1b, t1);
    assert_eq!(tag(d2).await, t2, "other dates keep their tag");
    cache.all_days_changed().await.expect("retagged all");
    assert_ne!(tag(d2).await, t2);
    // Lost keys are recreated with fresh random values, not the old ones.
    redis.flush_prefix().await;
    assert_ne!(tag(d1).await, t1b);
}

/// On one thread every view below is asked while another is being read, so they are answered
/// by batched reads: each must still get its own user's session and its own date's tag.
#[tokio::test]
async fn views_read_together_each_get_their_own_session_and_tag() {
    let redis = TestRedis::new().await;
    let cache = Arc::new(redis.backend().cache());
    let state = |user: i64| domain::SessionState {
        user_id: UserId(user),
        version: 10 + user,
        revoked: vec![format!("t{user}")],
        ..session(0, &[])
    };
    // Users 1 to 5 have a cached state, user 6 none.
    for user in 1..=5 {
        cache.keep_session(&state(user)).await.expect("kept");
    }
    let days: Vec<time::Date> = (10..13)
        .map(|d| time::Date::from_calendar_date(2026, time::Month::December, d).expect("date"))
        .collect();
    let mut tags = Vec::new();
    for day in &days {
        tags.push(cache.view(UserId(1), Some(*day)).await.expect("view").day);
    }
    assert!(tags.iter().all(Option::is_some) && tags[0] != tags[1]);

    let asks: Vec<(i64, Option<usize>)> = (0..60)
        .map(|i| (1 + i % 6, (i % 4 != 0).then_some(i as usize % 3)))
        .collect();
    let views: Vec<_> = asks
        .iter()
        .map(|&(user, day)| {
            let cache = cache.clone();
            let day = day.map(|d| days[d]);
            tokio::spawn(async move { cache.view(UserId(user), day).await })
        })
        .collect();
    for ((user, day), view) in asks.into_iter().zip(views) {
        let view = view.await.expect("ran").expect("view");
        let expected = (user <= 5).then(|| state(user));
        assert_eq!(view.session, expected, "user {user}");
        assert_eq!(
            view.day,
            day.and_then(|d| tags[d]),
            "user {user}, day {day:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admission_gate_counts_down_remembers_claimers_and_gives_back() {
    let redis = TestRedis::new().await;
    let gate = redis.backend().admission();
    let v = VoucherId(7);
    assert_eq!(
        gate.admit(v, UserId(1)).await.expect("admit"),
        Admission::Unknown
    );
    gate.seed(v, 2).await.expect("seeded");
    gate.seed(v, 99)
        .await
        .expect("a second seed does not overwrite");
    assert_eq!(
        gate.admit(v, UserId(1)).await.expect("admit"),
        Admission::Admitted
    );
    assert_eq!(
        gate.admit(v, UserId(1)).await.expect("admit"),
        Admission::AlreadyClaimed,
        "a claimer at once: a second press while the first is in flight holds no unit"
    );
    gate.claimed(v, UserId(1)).await.expect("recorded");
    assert_eq!(
        gate.admit(v, UserId(2)).await.expect("admit"),
        Admission::Admitted
    );
    assert_eq!(
        gate.admit(v, UserId(3)).await.expect("admit"),
        Admission::SoldOut
    );
    gate.give_back(v, UserId(2)).await.expect("given back");
    assert_eq!(
        gate.admit(v, UserId(3)).await.expect("admit"),
        Admission::Admitted
    );
    // User 2's claim was refused: no longer a claimer, and the unit went to user 3.
    assert_eq!(
        gate.admit(v, UserId(2)).await.expect("admit"),
        Admission::SoldOut
    );
    gate.sold_out(v).await.expect("marked");
    assert_eq!(
        gate.admit(v, UserId(4)).await.expect("admit"),
        Admission::SoldOut
    );
    gate.forget(v).await.expect("forgotten");
    assert_eq!(
        gate.admit(v, UserId(4)).await.expect("admit"),
        Admission::Unknown
    );
    gate.give_back(v, UserId(4))
        .await
        .expect("no-op on a missing count");
    assert_eq!(
        gate.admit(v, UserId(4)).await.expect("admit"),
        Admission::Unknown
    );
}
