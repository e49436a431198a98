//! First-come hours: requests that take their seats at once or join the waitlist, the
//! promotion of waiting reservations into seats a release freed, and their expiry.
//!
//! Every decision is the domain's (`domain::first_come`), made on slot rows this transaction has
//! locked: the rows cannot change between the decision and the writes that carry it out, and
//! the CHECK on each counter stays the last guard. Locks are taken in ascending order of the
//! slots' starts; a deadlock with a change of other hours is retried as transient.

use super::{audit, Db, Dialect};
use crate::dialect::SqlDialect;
use crate::rows::{secs, stored_range, NewReservationRow, ReservationRow, SlotRow};
use crate::schema::reservations;
use diesel::prelude::*;
use diesel::QueryResult;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::{AuditAction, AuditNote};
use domain::first_come::{self, Admission, FreeSeats, Request, Waiting};
use domain::{BookingMode, HourRange, ReservationStatus, Seats};
use ports::{NewReservation, Release};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

const HOUR: i64 = 3600;

/// The hours `[start, end)` covers, by their starts.
fn hours_of(start: i64, end: i64) -> impl Iterator<Item = i64> {
    (start..end).step_by(HOUR as usize)
}

fn instant(secs: i64) -> QueryResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// The free seats of locked slot rows.
fn free_seats(rows: &[SlotRow]) -> QueryResult<FreeSeats> {
    let mut free = FreeSeats::new();
    for row in rows {
        free.set(instant(row.starts_at)?, row.free());
    }
    Ok(free)
}

/// A stored range as the domain's hours.
fn range_of(start: i64, end: i64) -> QueryResult<HourRange> {
    stored_range(start, end).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// What a first-come batch did with each request.
pub(super) enum Booked {
    /// Stored, with its place in line when it waits.
    Made(ReservationRow, Option<u32>),
    Short(OffsetDateTime),
    /// An hour it covers no longer books first-come: the caller routes it again.
    ModeChanged,
}

/// Books first-come requests in the order given, in one transaction: the hours they cover are
/// locked, each request that fits takes its seats (confirmed), each that does not joins the
/// waitlist if it asked to, and the others are refused with their short hour.
pub(super) async fn book(conn: &mut Db, asks: &[&NewReservation]) -> QueryResult<Vec<Booked>> {
    conn.transaction(async move |conn| {
        let hours: BTreeSet<i64> = asks
            .iter()
            .flat_map(|a| hours_of(secs(a.range.start()), secs(a.range.end())))
            .collect();
        let rows = Dialect::lock_slots(conn, hours.into_iter().collect()).await?;
        let first_come: BTreeSet<i64> = rows
            .iter()
            .filter(|r| r.booking_mode == BookingMode::FirstCome.as_str())
            .map(|r| r.starts_at)
            .collect();
        let still_first_come = |a: &NewReservation| {
            hours_of(secs(a.range.start()), secs(a.range.end())).all(|h| first_come.contains(&h))
        };
        let mut free = free_seats(&rows)?;
        let mut outcome: Vec<Option<Booked>> = Vec::with_capacity(asks.len());
        let mut to_insert = Vec::new();
        let mut taken: BTreeMap<i64, i32> = BTreeMap::new();
        for ask in asks {
            if !still_first_come(ask) {
                outcome.push(Some(Booked::ModeChanged));
                continue;
            }
            let request = Request {
                range: ask.range,
                seats: ask.seats,
                waitlist: ask.waitlist,
            };
            let status = match first_come::admit(&mut free, &[request])[0] {
                Admission::Confirmed => {
                    for h in hours_of(secs(ask.range.start()), secs(ask.range.end())) {
                        *taken.entry(h).or_default() += seats_of(ask.seats);
                    }
                    ReservationStatus::Confirmed
                }
                Admission::Waitlisted => ReservationStatus::Waitlisted,
                Admission::Refused { short_hour } => {
                    outcome.push(Some(Booked::Short(short_hour)));
                    continue;
                }
            };
            outcome.push(None);
            to_insert.push(NewReservationRow {
                user_id: ask.user_id.0,
                starts_at: secs(ask.range.start()),
                ends_at: secs(ask.range.end()),
                seats: seats_of(ask.seats),
                status: status.as_str(),
                booking_mode: BookingMode::FirstCome.as_str(),
                now: secs(ask.now),
                idempotency_key: ask.idempotency_key.clone(),
            });
        }
        if !taken.is_empty() {
            Dialect::add_to_locked_slots(conn, taken.into_iter().collect()).await?;
        }
        let made = Dialect::insert_reservations(conn, &to_insert).await?;
        let mut places = places_of_new(conn, &made).await?.into_iter();
        let mut made = made.into_iter();
        Ok(outcome
            .into_iter()
            .map(|decided| {
                decided.unwrap_or_else(|| match (made.next(), places.next()) {
                    (Some(row), Some(place)) => Booked::Made(row, place),
                    _ => Booked::ModeChanged,
                })
            })
            .collect())
    })
    .await
}

fn seats_of(seats: Seats) -> i32 {
    i32::try_from(seats.get()).unwrap_or(i32::MAX)
}

/// Promotes, inside the caller's transaction, the waiting reservations that cover one of the
/// `freed` hours and can still be booked (starting at or after `release.bookable_from`), in the
/// order they joined, each that fits taking its seats; each promotion is audited with no
/// actor. Returns the promoted rows.
pub(super) async fn promote(
    conn: &mut Db,
    freed: &BTreeSet<i64>,
    release: &Release,
) -> QueryResult<Vec<ReservationRow>> {
    let (Some(first), Some(last)) = (freed.first(), freed.last()) else {
        return Ok(Vec::new());
    };
    let candidates: Vec<ReservationRow> = reservations::table
        .filter(reservations::status.eq(ReservationStatus::Waitlisted.as_str()))
        .filter(reservations::starts_at.ge(secs(release.bookable_from)))
        .filter(reservations::starts_at.le(*last))
        .filter(reservations::ends_at.gt(*first))
        .order(reservations::id.asc())
        .select(ReservationRow::as_select())
        .load(conn)
        .await?;
    let waiting: Vec<ReservationRow> = candidates
        .into_iter()
        .filter(|w| hours_of(w.starts_at, w.ends_at).any(|h| freed.contains(&h)))
        .collect();
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let hours: BTreeSet<i64> = waiting
        .iter()
        .flat_map(|w| hours_of(w.starts_at, w.ends_at))
        .collect();
    let rows = Dialect::lock_slots(conn, hours.into_iter().collect()).await?;
    let mut free = free_seats(&rows)?;
    let mut line = Vec::with_capacity(waiting.len());
    for w in &waiting {
        line.push(Waiting {
            id: w.id,
            range: range_of(w.starts_at, w.ends_at)?,
            seats: Seats::new(i64::from(w.seats)).map_err(|e| {
                diesel::result::Error::DeserializationError(format!("stored seats: {e}").into())
            })?,
        });
    }
    let chosen = first_come::promote(&mut free, &line);
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let mut taken: BTreeMap<i64, i32> = BTreeMap::new();
    for w in waiting.iter().filter(|w| chosen.contains(&w.id)) {
        for h in hours_of(w.starts_at, w.ends_at) {
            *taken.entry(h).or_default() += w.seats;
        }
    }
    Dialect::add_to_locked_slots(conn, taken.into_iter().collect()).await?;
    let now = secs(release.now);
    let promoted: Vec<ReservationRow> = diesel::update(reservations::table)
        .filter(reservations::id.eq_any(&chosen))
        .filter(reservations::status.eq(ReservationStatus::Waitlisted.as_str()))
        .set((
            reservations::status.eq(ReservationStatus::Confirmed.as_str()),
            reservations::updated_at.eq(now),
        ))
        .returning(ReservationRow::as_returning())
        .get_results(conn)
        .await?;
    for row in &promoted {
        let note = AuditNote::new(
            release.now,
            None,
            AuditAction::ReservationPromoted,
            Some(row.id),
        )
        .change(
            "status",
            ReservationStatus::Waitlisted.as_str(),
            ReservationStatus::Confirmed.as_str(),
        );
        audit::write(conn, &note, row.id).await?;
    }
    Ok(promoted)
}

/// The hours of `[start, end)`, as a set to promote into.
pub(super) fn freed_hours(ranges: impl IntoIterator<Item = (i64, i64)>) -> BTreeSet<i64> {
    ranges
        .into_iter()
        .flat_map(|(start, end)| hours_of(start, end))
        .collect()
}

/// Every waiting reservation that starts before `closed_before` becomes expired, with an audit
/// note of no actor each; returns their ids.
pub(super) async fn expire(
    conn: &mut Db,
    closed_before: OffsetDateTime,
    now: OffsetDateTime,
) -> QueryResult<Vec<i64>> {
    conn.transaction(async move |conn| {
        let expired: Vec<i64> = diesel::update(reservations::table)
            .filter(reservations::status.eq(ReservationStatus::Waitlisted.as_str()))
            .filter(reservations::starts_at.lt(secs(closed_before)))
            .set((
                reservations::status.eq(ReservationStatus::Expired.as_str()),
                reservations::updated_at.eq(secs(now)),
            ))
            .returning(reservations::id)
            .get_results(conn)
            .await?;
        for id in &expired {
            let note = AuditNote::new(now, None, AuditAction::ReservationExpired, Some(*id))
                .change(
                    "status",
                    ReservationStatus::Waitlisted.as_str(),
                    ReservationStatus::Expired.as_str(),
                );
            audit::write(conn, &note, *id).await?;
        }
        Ok(expired)
    })
    .await
}

/// The places in line of `made`, rows this transaction has just inserted (`None` for those
/// not waiting): the waiting reservations covering its first hour that joined before the batch,
/// counted once per hour while the hours are locked (nobody joins meanwhile), plus those of the
/// batch ahead of it.
async fn places_of_new(conn: &mut Db, made: &[ReservationRow]) -> QueryResult<Vec<Option<u32>>> {
    let waiting = ReservationStatus::Waitlisted.as_str();
    let new_waiting: Vec<&ReservationRow> = made.iter().filter(|r| r.status == waiting).collect();
    let Some(first_new) = new_waiting.iter().map(|r| r.id).min() else {
        return Ok(vec![None; made.len()]);
    };
    let mut before_batch: BTreeMap<i64, u32> = BTreeMap::new();
    for row in &new_waiting {
        if before_batch.contains_key(&row.starts_at) {
            continue;
        }
        let ahead: i64 = reservations::table
            .filter(reservations::status.eq(waiting))
            .filter(reservations::starts_at.le(row.starts_at))
            .filter(reservations::ends_at.gt(row.starts_at))
            .filter(reservations::id.lt(first_new))
            .count()
            .get_result(conn)
            .await?;
        before_batch.insert(row.starts_at, u32::try_from(ahead).unwrap_or(u32::MAX));
    }
    Ok(made
        .iter()
        .map(|row| {
            (row.status == waiting).then(|| {
                let in_batch = new_waiting
                    .iter()
                    .filter(|w| w.id < row.id)
                    .filter(|w| w.starts_at <= row.starts_at && w.ends_at > row.starts_at)
                    .count();
                before_batch
                    .get(&row.starts_at)
                    .copied()
                    .unwrap_or(0)
                    .saturating_add(u32::try_from(in_batch).unwrap_or(u32::MAX))
                    .saturating_add(1)
            })
        })
        .collect())
}

/// Where each waiting reservation of `waiting` (id, first hour) stands in line: 1 plus the
/// waiting reservations covering its first hour that joined before it. One read per distinct
/// first hour, of the line up to the last of them (a page of an hour's waitlist is one read,
/// not one per row). Ids no longer waiting are left out.
pub(super) async fn positions(
    conn: &mut Db,
    waiting: &[(i64, i64)],
) -> QueryResult<Vec<(i64, u32)>> {
    let mut by_hour: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (id, start) in waiting {
        by_hour.entry(*start).or_default().push(*id);
    }
    let mut positions = Vec::with_capacity(waiting.len());
    for (hour, ids) in by_hour {
        let last = ids.iter().copied().max().unwrap_or(i64::MIN);
        let line: Vec<i64> = reservations::table
            .filter(reservations::status.eq(ReservationStatus::Waitlisted.as_str()))
            .filter(reservations::starts_at.le(hour))
            .filter(reservations::ends_at.gt(hour))
            .filter(reservations::id.le(last))
            .order(reservations::id.asc())
            .select(reservations::id)
            .load(conn)
            .await?;
        for id in ids {
            if let Ok(at) = line.binary_search(&id) {
                positions.push((id, u32::try_from(at + 1).unwrap_or(u32::MAX)));
            }
        }
    }
    Ok(positions)
}

/// How many waiting reservations cover each hour of `[from, to)`.
pub(super) async fn waitlisted_per_hour(
    conn: &mut Db,
    from: i64,
    to: i64,
) -> QueryResult<BTreeMap<i64, u32>> {
    let waiting: Vec<(i64, i64)> = reservations::table
        .filter(reservations::status.eq(ReservationStatus::Waitlisted.as_str()))
        .filter(reservations::starts_at.lt(to))
        .filter(reservations::ends_at.gt(from))
        .select((reservations::starts_at, reservations::ends_at))
        .load(conn)
        .await?;
    let mut per_hour: BTreeMap<i64, u32> = BTreeMap::new();
    for (start, end) in waiting {
        for h in hours_of(start.max(from), end.min(to)) {
            *per_hour.entry(h).or_default() += 1;
        }
    }
    Ok(per_hour)
}
