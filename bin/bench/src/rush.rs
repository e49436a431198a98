//! W6, the registration rush: 20,000 requests on 5 first-come hours at once, asking for twice
//! their seats, half of them willing to wait; then every first-come promise is checked through
//! the admin API: the counters within capacity and equal to the confirmed seats, no waiting
//! reservation that would fit, and each hour's waitlist in join order.

use crate::load::{Generator, Request};
use crate::setup::{call, slot};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const REQUESTS: u64 = 20_000;
const HOURS: i64 = 5;
/// Day (from today) and first hour of the rush: a date no other workload writes.
const DAY: i64 = 86;
const FIRST_HOUR: i64 = 9;

fn date() -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(DAY)).to_string()
}

/// Switches the rush's hours to first-come.
pub fn prepare(base: &str, admin: &str) {
    let r = call(
        base,
        "PATCH",
        "/api/v1/admin/exam-slots",
        Some(admin),
        Some(json!({
            "from": slot(DAY, FIRST_HOUR),
            "to": slot(DAY, FIRST_HOUR + HOURS),
            "booking_mode": "first_come",
        })),
    );
    assert_eq!(
        r["updated"], HOURS,
        "bench setup: the rush's hours are not first-come: {r}"
    );
}

/// Request `i`: hour `i % 5`, 20 to 30 seats (25 on average: 4,000 requests ask for 100,000
/// seats of an hour's 50,000), waiting when full for every other request.
pub fn requests(tokens: Vec<String>) -> Generator {
    Arc::new(move |i| {
        let hour = FIRST_HOUR + (i as i64 % HOURS);
        let body = json!({
            "starts_at": slot(DAY, hour),
            "ends_at": slot(DAY, hour + 1),
            "seats": 20 + (i % 11),
            "waitlist": (i / HOURS as u64).is_multiple_of(2),
        });
        Request::post(
            "/api/v1/reservations",
            Some(&tokens[i as usize % tokens.len()]),
            body,
        )
    })
}

/// Every reservation of the rush's date with `status`, oldest first.
fn all_with(base: &str, admin: &str, status: &str) -> Vec<Value> {
    let mut items = Vec::new();
    for page in 1.. {
        let r = call(
            base,
            "GET",
            &format!(
                "/api/v1/admin/reservations?status={status}&date={}&order=oldest&per_page=200&page={page}",
                date()
            ),
            Some(admin),
            None,
        );
        let got = r["items"].as_array().cloned().unwrap_or_default();
        if got.is_empty() {
            return items;
        }
        items.extend(got);
    }
    items
}

/// Checks every first-come promise on the rush's hours; a sentence saying what held, or what
/// did not.
pub fn verify(base: &str, admin: &str) -> String {
    let day = call(
        base,
        "GET",
        &format!("/api/v1/admin/exam-slots?date={}", date()),
        Some(admin),
        None,
    );
    let confirmed = all_with(base, admin, "confirmed");
    let waiting = all_with(base, admin, "waitlisted");
    let mut ledger: BTreeMap<String, i64> = BTreeMap::new();
    for r in &confirmed {
        *ledger
            .entry(r["starts_at"].as_str().unwrap_or("").to_owned())
            .or_default() += r["seats"].as_i64().unwrap_or(0);
    }
    let mut broken = Vec::new();
    let (mut seats, mut in_line) = (0, 0);
    for hour in FIRST_HOUR..FIRST_HOUR + HOURS {
        let s = &day["slots"][hour as usize];
        let (counter, capacity) = (
            s["confirmed"].as_i64().unwrap_or(-1),
            s["capacity"].as_i64().unwrap_or(0),
        );
        let start = slot(DAY, hour);
        seats += counter;
        if counter > capacity {
            broken.push(format!("{start}: {counter} above {capacity}"));
        }
        if ledger.get(&start).copied().unwrap_or(0) != counter {
            broken.push(format!(
                "{start}: counter {counter}, confirmed seats {:?}",
                ledger.get(&start)
            ));
        }
        let line: Vec<&Value> = waiting
            .iter()
            .filter(|r| r["starts_at"] == start.as_str())
            .collect();
        in_line += line.len();
        let free = capacity - counter;
        if let Some(fits) = line
            .iter()
            .find(|r| r["seats"].as_i64().unwrap_or(0) <= free)
        {
            broken.push(format!(
                "{start}: reservation {} waits but fits the {free} free",
                fits["id"]
            ));
        }
        let positions: Vec<i64> = line
            .iter()
            .map(|r| r["waitlist_position"].as_i64().unwrap_or(0))
            .collect();
        if positions != (1..=line.len() as i64).collect::<Vec<_>>() {
            broken.push(format!("{start}: positions out of join order"));
        }
    }
    if broken.is_empty() {
        format!(
            "invariants hold: {seats} seats confirmed of {}, counters equal the ledger, {in_line} waiting \
             in join order, none that fits",
            HOURS * 50_000
        )
    } else {
        format!("INVARIANTS BROKEN: {}", broken.join("; "))
    }
}
