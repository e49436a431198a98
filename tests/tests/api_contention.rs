//! The cap and the voucher quantity under concurrent requests to one process, on both backends
//! (the multi-process versions on PostgreSQL and Redis live in bin/api-server/tests).

use integration_tests::app::{day, slot, TestApp};
use integration_tests::{on_both_backends, Backend};
use std::collections::BTreeMap;
use std::rc::Rc;

const CAPACITY: i64 = 1_000;
const RESERVATIONS: usize = 60;
const SEATS: i64 = 30;

/// Fires every request at once on the test's runtime and tallies the answers by status and
/// problem code.
async fn all_at_once(
    app: &Rc<TestApp>,
    requests: Vec<(String, Option<String>)>,
) -> BTreeMap<(u16, String), usize> {
    let handles: Vec<_> = requests
        .into_iter()
        .map(|(path, token)| {
            let app = app.clone();
            actix_web::rt::spawn(async move {
                let r = app.call("POST", &path, token.as_deref(), None).await;
                // A claim's 201 body has a `code` too (the voucher's): only problems count.
                let problem = if r.status.is_success() { "" } else { r.code() };
                (r.status.as_u16(), problem.to_owned())
            })
        })
        .collect();
    let mut tally = BTreeMap::new();
    for h in handles {
        *tally.entry(h.await.expect("request task")).or_default() += 1;
    }
    tally
}

async fn confirms_racing_on_one_slot_fill_it_exactly_to_the_cap(backend: Backend) {
    let capacity = CAPACITY.to_string();
    let app =
        Rc::new(TestApp::spawn_with(backend, &[("APP__BOOKING__SLOT_CAPACITY", &capacity)]).await);
    let (admin, _) = app.admin().await;
    let mut ids = Vec::new();
    for token in app.minted_users(RESERVATIONS).await {
        ids.push(
            app.reserved(&token, &slot(10, 9), &slot(10, 10), SEATS)
                .await,
        );
    }

    let confirms = ids
        .iter()
        .map(|id| {
            let path = format!("/api/v1/admin/reservations/{id}/confirm");
            (path, Some(admin.clone()))
        })
        .collect();
    let tally = all_at_once(&app, confirms).await;

    let fit = (CAPACITY / SEATS) as usize;
    let expected = BTreeMap::from([
        ((200, String::new()), fit),
        (
            (409, "insufficient_capacity".to_owned()),
            RESERVATIONS - fit,
        ),
    ]);
    assert_eq!(tally, expected);
    let r = app
        .get(
            &format!("/api/v1/admin/exam-slots?date={}", day(10)),
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["slots"][9]["confirmed"], fit as i64 * SEATS);
    assert_eq!(
        r.body["slots"][9]["remaining"],
        CAPACITY - fit as i64 * SEATS
    );
}

async fn a_rush_on_a_voucher_issues_exactly_its_quantity_once_per_user(backend: Backend) {
    const QUANTITY: usize = 25;
    const USERS: usize = 200;
    const TWICE: usize = 40;
    let app = Rc::new(TestApp::spawn(backend).await);
    let (admin, _) = app.admin().await;
    let id = app.voucher(&admin, "RUSH-1", QUANTITY as i64).await;

    let users = app.minted_users(USERS).await;
    let path = format!("/api/v1/events/{id}/claim");
    let claims = users
        .iter()
        .chain(users.iter().take(TWICE))
        .map(|t| (path.clone(), Some(t.clone())))
        .collect();
    let tally = all_at_once(&app, claims).await;

    let won = tally.get(&(201, String::new())).copied().unwrap_or(0);
    assert_eq!(won, QUANTITY, "{tally:?}");
    let refused: usize = tally
        .iter()
        .filter(|((status, code), _)| {
            *status == 409 && (code == "sold_out" || code == "already_claimed")
        })
        .map(|(_, n)| n)
        .sum();
    assert_eq!(won + refused, USERS + TWICE, "only 201 or 409: {tally:?}");

    let r = app.get("/api/v1/admin/vouchers", Some(&admin)).await;
    assert_eq!(r.body["items"][0]["id"], id);
    assert_eq!(r.body["items"][0]["remaining"], 0);
    let r = app
        .get(
            &format!("/api/v1/admin/vouchers/{id}/claims?per_page=100"),
            Some(&admin),
        )
        .await;
    let claimers: std::collections::BTreeSet<i64> = r.body["items"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| c["user_id"].as_i64().expect("user"))
        .collect();
    assert_eq!(claimers.len(), QUANTITY, "one claim per user");
    let live = app.get("/api/v1/events", None).await;
    assert!(
        live.body["items"].as_array().expect("items").is_empty(),
        "a sold-out voucher leaves the page: {:?}",
        live.body
    );
}

on_both_backends!(
    confirms_racing_on_one_slot_fill_it_exactly_to_the_cap,
    a_rush_on_a_voucher_issues_exactly_its_quantity_once_per_user,
);
