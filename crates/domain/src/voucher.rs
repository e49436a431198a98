//! The voucher drop: books, vouchers with a limited quantity, and one claim per user.
//!
//! A voucher's status is derived, never stored apart from the admin's switch: `closed` when an
//! admin closed it, otherwise `sold_out` when nothing remains, otherwise `active`. Deriving it
//! means a quantity increase makes a sold-out voucher live again with no extra bookkeeping.

use std::fmt;
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BookId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VoucherId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimId(pub i64);

impl fmt::Display for VoucherId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum BookError {
    #[error("title must be 1 to 300 characters")]
    Title,
    #[error("author must be at most 200 characters")]
    Author,
    #[error("cover_url must be an http(s) URL of at most 2000 characters")]
    CoverUrl,
}

/// A validated book description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookDraft {
    pub title: String,
    pub author: Option<String>,
    pub cover_url: Option<String>,
}

impl BookDraft {
    /// # Errors
    /// The first field that breaks its rule.
    pub fn new(
        title: &str,
        author: Option<&str>,
        cover_url: Option<&str>,
    ) -> Result<Self, BookError> {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 300 {
            return Err(BookError::Title);
        }
        let author = author.map(str::trim).filter(|a| !a.is_empty());
        if author.is_some_and(|a| a.chars().count() > 200) {
            return Err(BookError::Author);
        }
        let cover_ok = |u: &str| {
            (u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
                && u.len() <= 2000
                && !u
                    .chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        };
        if cover_url.is_some_and(|u| !cover_ok(u)) {
            return Err(BookError::CoverUrl);
        }
        Ok(Self {
            title: title.to_owned(),
            author: author.map(str::to_owned),
            cover_url: cover_url.map(str::to_owned),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Book {
    pub id: BookId,
    pub title: String,
    pub author: Option<String>,
    pub cover_url: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum VoucherRuleError {
    #[error("code must be 3 to 64 characters: ASCII letters, digits, '-' and '_'")]
    Code,
    #[error("quantity must be between 1 and {max}", max = Quantity::MAX)]
    Quantity,
    #[error("quantity may only grow (currently {current})")]
    QuantityShrinks { current: u32 },
    #[error("closes_at must be after opens_at")]
    Window,
    #[error("opens_at and closes_at must fall between the years 1970 and 9998")]
    WindowOutOfRange,
}

/// A voucher code as typed; codes are unique as typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoucherCode(String);

impl VoucherCode {
    /// # Errors
    /// `Code` outside 3..=64 characters or with other characters.
    pub fn parse(raw: &str) -> Result<Self, VoucherRuleError> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !(3..=64).contains(&raw.len()) || !raw.chars().all(ok_char) {
            return Err(VoucherRuleError::Code);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many vouchers a batch holds: `1..=1_000_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 1_000_000;

    /// # Errors
    /// `Quantity` outside the range.
    pub fn new(n: i64) -> Result<Self, VoucherRuleError> {
        if (1..=i64::from(Self::MAX)).contains(&n) {
            Ok(Self(n as u32))
        } else {
            Err(VoucherRuleError::Quantity)
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// An optional claim window; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClaimWindow {
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
}

impl ClaimWindow {
    /// # Errors
    /// `WindowOutOfRange` for an end outside the service's calendar (checked before anything
    /// is stored, so no row can hold an instant the service cannot read back); `Window` when
    /// both ends are set and `closes_at <= opens_at`.
    pub fn new(
        opens_at: Option<OffsetDateTime>,
        closes_at: Option<OffsetDateTime>,
    ) -> Result<Self, VoucherRuleError> {
        if !opens_at
            .into_iter()
            .chain(closes_at)
            .all(crate::hours::within_calendar)
        {
            return Err(VoucherRuleError::WindowOutOfRange);
        }
        if let (Some(o), Some(c)) = (opens_at, closes_at) {
            if c <= o {
                return Err(VoucherRuleError::Window);
            }
        }
        Ok(Self {
            opens_at,
            closes_at,
        })
    }

    pub fn has_opened(&self, now: OffsetDateTime) -> bool {
        self.opens_at.is_none_or(|o| o <= now)
    }

    pub fn has_closed(&self, now: OffsetDateTime) -> bool {
        self.closes_at.is_some_and(|c| c <= now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherStatus {
    Active,
    SoldOut,
    Closed,
}

impl VoucherStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::SoldOut => "sold_out",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    pub id: VoucherId,
    pub book: Book,
    pub code: VoucherCode,
    pub quantity: u32,
    pub remaining: u32,
    /// The admin's switch; `sold_out` is derived from `remaining`.
    pub closed: bool,
    pub window: ClaimWindow,
    pub created_at: OffsetDateTime,
}

/// Why a claim cannot succeed right now.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefusal {
    #[error("this voucher is not open for claims yet")]
    NotOpenYet,
    #[error("this voucher is closed")]
    Closed,
    #[error("this voucher is sold out")]
    SoldOut,
}

impl Voucher {
    pub fn status(&self) -> VoucherStatus {
        if self.closed {
            VoucherStatus::Closed
        } else if self.remaining == 0 {
            VoucherStatus::SoldOut
        } else {
            VoucherStatus::Active
        }
    }

    /// Live on the event page: active, inside its window, something left.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.check_claimable(now).is_ok()
    }

    /// # Errors
    /// `Closed` (switched off or past its window), `NotOpenYet`, or `SoldOut`.
    pub fn check_claimable(&self, now: OffsetDateTime) -> Result<(), ClaimRefusal> {
        if self.closed || self.window.has_closed(now) {
            Err(ClaimRefusal::Closed)
        } else if !self.window.has_opened(now) {
            Err(ClaimRefusal::NotOpenYet)
        } else if self.remaining == 0 {
            Err(ClaimRefusal::SoldOut)
        } else {
            Ok(())
        }
    }

    /// The remaining count after raising the quantity to `new`.
    ///
    /// # Errors
    /// `QuantityShrinks` when `new` is below the current quantity.
    pub fn grow_to(&self, new: Quantity) -> Result<u32, VoucherRuleError> {
        if new.get() < self.quantity {
            return Err(VoucherRuleError::QuantityShrinks {
                current: self.quantity,
            });
        }
        Ok(self.remaining + (new.get() - self.quantity))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: ClaimId,
    pub user_id: crate::UserId,
    pub voucher_id: VoucherId,
    /// The claim's own redemption code (the voucher's code is an internal campaign name).
    pub code: crate::RedemptionCode,
    pub book: Book,
    pub claimed_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    fn voucher(remaining: u32) -> Voucher {
        Voucher {
            id: VoucherId(1),
            book: Book {
                id: BookId(1),
                title: "Dune".into(),
                author: None,
                cover_url: None,
                created_at: NOW,
            },
            code: VoucherCode::parse("DUNE-2026").expect("code"),
            quantity: 200,
            remaining,
            closed: false,
            window: ClaimWindow::default(),
            created_at: NOW,
        }
    }

    #[test]
    fn voucher_status_is_closed_then_sold_out_then_active() {
        assert_eq!(voucher(5).status(), VoucherStatus::Active);
        assert_eq!(voucher(0).status(), VoucherStatus::SoldOut);
        let closed = Voucher {
            closed: true,
            ..voucher(0)
        };
        assert_eq!(closed.status(), VoucherStatus::Closed);
    }

    #[test]
    fn voucher_claimable_only_inside_its_window_with_stock() {
        assert_eq!(voucher(1).check_claimable(NOW), Ok(()));
        assert_eq!(voucher(0).check_claimable(NOW), Err(ClaimRefusal::SoldOut));
        let later = Voucher {
            window: ClaimWindow::new(Some(NOW + Duration::HOUR), None).expect("window"),
            ..voucher(1)
        };
        assert_eq!(later.check_claimable(NOW), Err(ClaimRefusal::NotOpenYet));
        let over = Voucher {
            window: ClaimWindow::new(None, Some(NOW)).expect("window"),
            ..voucher(1)
        };
        assert_eq!(over.check_claimable(NOW), Err(ClaimRefusal::Closed));
        assert!(!over.is_live(NOW));
    }

    #[test]
    fn voucher_quantity_may_only_grow_and_growth_adds_to_remaining() {
        let v = voucher(0);
        assert_eq!(v.grow_to(Quantity::new(250).expect("q")), Ok(50));
        assert_eq!(v.grow_to(Quantity::new(200).expect("q")), Ok(0));
        assert_eq!(
            v.grow_to(Quantity::new(199).expect("q")),
            Err(VoucherRuleError::QuantityShrinks { current: 200 })
        );
    }

    #[test]
    fn voucher_code_quantity_and_window_rules() {
        assert!(VoucherCode::parse("AB").is_err());
        assert!(VoucherCode::parse("has space").is_err());
        assert!(VoucherCode::parse("OK_code-1").is_ok());
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(1_000_001).is_err());
        assert_eq!(
            ClaimWindow::new(Some(NOW), Some(NOW)),
            Err(VoucherRuleError::Window)
        );
    }

    #[test]
    fn book_rules() {
        assert_eq!(BookDraft::new("  ", None, None), Err(BookError::Title));
        assert_eq!(
            BookDraft::new("Dune", None, Some("javascript:alert(1)")),
            Err(BookError::CoverUrl)
        );
        let b = BookDraft::new(" Dune ", Some(""), Some("https://img/x.png")).expect("ok");
        assert_eq!(b.title, "Dune");
        assert_eq!(b.author, None);
    }
}
