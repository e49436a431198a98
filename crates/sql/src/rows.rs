//! Row types and their conversion to domain values. A row that breaks a domain rule means the
//! database holds something the service never writes: that is reported, not papered over.

use crate::schema::{
    audit_log, books, exam_slots, outbox_events, reservations, users, voucher_claims, vouchers,
};
use diesel::prelude::*;
use domain::audit::{AuditAction, AuditEntry};
use domain::voucher::{Book, BookId, Claim, ClaimId, ClaimWindow, Voucher, VoucherCode, VoucherId};
use domain::{
    BookingMode, HourRange, Reservation, ReservationId, ReservationStatus, Role, Seats,
    ServiceOffset, SlotLoad, User, UserId, Username,
};
use domain::{Page, PageRequest, RedemptionCode};
use ports::{BackendError, ClaimError, Slot};
use time::OffsetDateTime;

pub(crate) fn secs(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn seats_i32(seats: Seats) -> i32 {
    seats.get() as i32
}

pub(crate) fn instant(s: i64) -> Result<OffsetDateTime, BackendError> {
    OffsetDateTime::from_unix_timestamp(s).map_err(BackendError::new)
}

fn corrupt(what: &str) -> BackendError {
    BackendError::msg(format!("stored {what} breaks a domain rule"))
}

#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub session_version: i64,
    pub created_at: i64,
}

impl UserRow {
    pub fn into_user(self) -> Result<User, BackendError> {
        Ok(User {
            id: UserId(self.id),
            username: Username::parse(&self.username).map_err(|_| corrupt("username"))?,
            role: Role::parse(&self.role).ok_or_else(|| corrupt("role"))?,
            created_at: instant(self.created_at)?,
            session_version: self.session_version,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = exam_slots, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SlotRow {
    pub starts_at: i64,
    pub capacity: i32,
    pub confirmed: i32,
    pub booking_mode: String,
}

impl SlotRow {
    pub fn mode(&self) -> Result<BookingMode, BackendError> {
        BookingMode::parse(&self.booking_mode).ok_or_else(|| corrupt("booking mode"))
    }

    /// Seats not yet confirmed.
    pub fn free(&self) -> u32 {
        u32::try_from(self.capacity - self.confirmed).unwrap_or(0)
    }

    /// The slot, with `waitlisted` reservations waiting for it.
    pub fn into_slot(self, waitlisted: u32) -> Result<Slot, BackendError> {
        let capacity = u32::try_from(self.capacity).map_err(|_| corrupt("capacity"))?;
        let confirmed = u32::try_from(self.confirmed).map_err(|_| corrupt("confirmed"))?;
        Ok(Slot {
            starts_at: instant(self.starts_at)?,
            load: SlotLoad::new(capacity, confirmed).map_err(|_| corrupt("slot load"))?,
            mode: self.mode()?,
            waitlisted,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = reservations, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ReservationRow {
    pub id: i64,
    pub user_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub seats: i32,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub booking_mode: String,
}

/// A reservation to insert as it is (its status decided already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewReservationRow {
    pub user_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub seats: i32,
    pub status: &'static str,
    pub booking_mode: &'static str,
    pub now: i64,
    pub idempotency_key: Option<String>,
}

/// A reservation a batch inserted, with the position (from 1) of the ask it answers.
#[derive(Debug, QueryableByName)]
#[diesel(table_name = reservations, check_for_backend(diesel::pg::Pg))]
pub(crate) struct InsertedRow {
    pub id: i64,
    pub user_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub seats: i32,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub booking_mode: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub ord: i64,
}

impl InsertedRow {
    pub fn split(self) -> (i64, ReservationRow) {
        let row = ReservationRow {
            id: self.id,
            user_id: self.user_id,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            seats: self.seats,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            booking_mode: self.booking_mode,
        };
        (self.ord, row)
    }
}

impl ReservationRow {
    pub fn status(&self) -> Result<ReservationStatus, BackendError> {
        ReservationStatus::parse(&self.status).ok_or_else(|| corrupt("status"))
    }

    pub fn into_reservation(self) -> Result<Reservation, BackendError> {
        let range = stored_range(self.starts_at, self.ends_at)?;
        Ok(Reservation {
            id: ReservationId(self.id),
            user_id: UserId(self.user_id),
            range,
            seats: Seats::new(i64::from(self.seats)).map_err(|_| corrupt("seats"))?,
            status: self.status()?,
            mode: BookingMode::parse(&self.booking_mode).ok_or_else(|| corrupt("booking mode"))?,
            waitlist_position: None,
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
        })
    }
}

/// A stored reservation's hours. Stored ranges were validated on the way in; UTC alignment is
/// enough to rebuild them, except under a half-hour service offset (half-hour-aligned instants).
pub(crate) fn stored_range(start: i64, end: i64) -> Result<HourRange, BackendError> {
    HourRange::new(instant(start)?, instant(end)?, ServiceOffset::UTC)
        .or_else(|_| hour_range_any_offset(start, end))
}

fn hour_range_any_offset(start: i64, end: i64) -> Result<HourRange, BackendError> {
    let minutes = (start.rem_euclid(3600) / 60) as i8;
    let offset = time::UtcOffset::from_hms(0, minutes, 0).map_err(BackendError::new)?;
    HourRange::new(instant(start)?, instant(end)?, ServiceOffset::new(offset))
        .map_err(|_| corrupt("reservation range"))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = books, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct BookRow {
    pub id: i64,
    pub title: String,
    pub author: Option<String>,
    pub cover_url: Option<String>,
    pub created_at: i64,
}

impl BookRow {
    pub fn into_book(self) -> Result<Book, BackendError> {
        Ok(Book {
            id: BookId(self.id),
            title: self.title,
            author: self.author,
            cover_url: self.cover_url,
            created_at: instant(self.created_at)?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = vouchers, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct VoucherRow {
    pub id: i64,
    pub code: String,
    pub quantity: i32,
    pub remaining: i32,
    pub closed: bool,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub created_at: i64,
}

impl VoucherRow {
    /// Why this voucher takes no claim at `now`, or `None` if it takes one.
    pub fn refusal_at(&self, now: i64) -> Option<ClaimError> {
        if self.closed || self.closes_at.is_some_and(|c| c <= now) {
            Some(ClaimError::Closed)
        } else if self.opens_at.is_some_and(|o| o > now) {
            Some(ClaimError::NotOpenYet)
        } else if self.remaining <= 0 {
            Some(ClaimError::SoldOut)
        } else {
            None
        }
    }

    pub fn into_voucher(self, book: BookRow) -> Result<Voucher, BackendError> {
        let opt = |s: Option<i64>| s.map(instant).transpose();
        Ok(Voucher {
            id: VoucherId(self.id),
            book: book.into_book()?,
            code: VoucherCode::parse(&self.code).map_err(|_| corrupt("voucher code"))?,
            quantity: u32::try_from(self.quantity).map_err(|_| corrupt("quantity"))?,
            remaining: u32::try_from(self.remaining).map_err(|_| corrupt("remaining"))?,
            closed: self.closed,
            window: ClaimWindow::new(opt(self.opens_at)?, opt(self.closes_at)?)
                .map_err(|_| corrupt("voucher window"))?,
            created_at: instant(self.created_at)?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = voucher_claims, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ClaimRow {
    pub id: i64,
    pub user_id: i64,
    pub voucher_id: i64,
    pub claimed_at: i64,
    pub used_at: Option<i64>,
    pub redemption_code: String,
}

impl ClaimRow {
    pub fn into_claim(self, book: BookRow) -> Result<Claim, BackendError> {
        Ok(Claim {
            id: ClaimId(self.id),
            user_id: UserId(self.user_id),
            voucher_id: VoucherId(self.voucher_id),
            code: RedemptionCode::parse(&self.redemption_code)
                .map_err(|_| corrupt("redemption code"))?,
            book: book.into_book()?,
            claimed_at: instant(self.claimed_at)?,
            used_at: self.used_at.map(instant).transpose()?,
        })
    }
}

/// One asked user's outcome in a batch claim: the new claim, or none and why not.
#[derive(Debug, QueryableByName)]
pub(crate) struct BatchClaimRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub claim_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub already_claimed: bool,
    /// The voucher's book (none when there is no such voucher).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub book_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub book_title: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub book_author: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub book_cover_url: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub book_created_at: Option<i64>,
}

impl BatchClaimRow {
    /// The voucher's book, as the batch statement returned it.
    pub fn book(&self) -> Option<BookRow> {
        Some(BookRow {
            id: self.book_id?,
            title: self.book_title.clone()?,
            author: self.book_author.clone(),
            cover_url: self.book_cover_url.clone(),
            created_at: self.book_created_at?,
        })
    }
}

/// The id a one-statement claim returns.
#[derive(Debug, QueryableByName)]
pub(crate) struct ClaimedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_id: i64,
    pub changes: String,
    pub client_addr: Option<String>,
}

impl AuditRow {
    pub fn into_entry(self) -> Result<AuditEntry, BackendError> {
        Ok(AuditEntry {
            id: self.id,
            at: instant(self.at)?,
            actor: self.actor_id.map(UserId),
            client: self.client_addr,
            action: AuditAction::parse(&self.action).ok_or_else(|| corrupt("audit action"))?,
            target_id: self.target_id,
            changes_json: self.changes,
        })
    }
}

/// Assembles one page of a list whose rows carry `COUNT(*) OVER ()` (read by `total_in`), so
/// page and total come in one round trip. Past the last page no row carries the total; only
/// then does `count` run.
/// The rows that can be read back. A stored row the service cannot read (written by an older
/// version, or by hand) is left out and logged, so one bad row cannot take a whole list down.
pub(crate) fn readable<T>(rows: impl Iterator<Item = Result<T, BackendError>>) -> Vec<T> {
    rows.filter_map(|row| match row {
        Ok(item) => Some(item),
        Err(error) => {
            tracing::error!(%error, "a stored row cannot be read; it is left out of the list");
            None
        }
    })
    .collect()
}

pub(crate) async fn into_page<R, T, F, Fut>(
    rows: Vec<R>,
    page: PageRequest,
    total_in: impl Fn(&R) -> i64,
    count: F,
    convert: impl Fn(R) -> Result<T, BackendError>,
) -> Result<Page<T>, BackendError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = diesel::QueryResult<i64>>,
{
    let total = match <[R]>::first(&rows) {
        Some(row) => total_in(row),
        None if page.offset() > 0 => count().await.map_err(BackendError::new)?,
        None => 0,
    };
    let items = readable(rows.into_iter().map(convert));
    Ok(Page {
        items,
        request: page,
        total: u64::try_from(total).unwrap_or(0),
    })
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub at: i64,
    pub user_id: Option<i64>,
    pub payload: String,
}

impl OutboxRow {
    pub fn into_event(self) -> Result<ports::OutboxEvent, BackendError> {
        Ok(ports::OutboxEvent {
            id: self.id,
            kind: domain::EventType::parse(&self.kind).ok_or_else(|| corrupt("event type"))?,
            at: instant(self.at)?,
            owner: self.user_id.map(UserId),
            payload: self.payload,
        })
    }
}
