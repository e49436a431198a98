//! The use-case error: every way a request can fail, grouped by how a client should react.
//! The HTTP layer maps it to status codes in one exhaustive match.

use domain::voucher::{BookError, ClaimRefusal, VoucherRuleError};
use domain::{
    HourRangeError, PasswordError, RedemptionCodeError, ReservationStatus, SeatsError,
    TransitionError, UsernameError, WindowError,
};
use ports::{
    BackendError, ChangeReservationError, CreateReservationError, CreateUserError, DeleteUserError,
    HashError, LockError, UpdateUserError,
};
use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    #[error("this action needs the admin role")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The resource is locked by a concurrent change for longer than the bounded wait.
    #[error("the resource is busy; try again shortly")]
    Busy,
    /// Too many failed log-ins lately; try again after this long.
    #[error("too many failed log-ins; try again later")]
    Throttled(std::time::Duration),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Why a request could not be tied to a live account.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum Unauthenticated {
    #[error("invalid username or password")]
    BadCredentials,
    #[error("the access token is invalid")]
    InvalidToken,
    #[error("the access token has expired")]
    ExpiredToken,
    #[error("the access token has been revoked")]
    RevokedToken,
    /// The account was deleted, or its password changed since the token was issued.
    #[error("the session has ended; log in again")]
    SessionEnded,
}

/// Well-formed input that breaks a business rule.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    #[error(transparent)]
    Username(#[from] UsernameError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Seats(#[from] SeatsError),
    #[error(transparent)]
    Range(#[from] HourRangeError),
    #[error(transparent)]
    Window(#[from] WindowError),
    #[error("no hour of that date is inside the booking window")]
    DateOutsideWindow,
    #[error(transparent)]
    Book(#[from] BookError),
    #[error(transparent)]
    Voucher(#[from] VoucherRuleError),
    /// Claiming outside the voucher's window.
    #[error(transparent)]
    ClaimWindow(ClaimRefusal),
    #[error(transparent)]
    RedemptionCode(#[from] RedemptionCodeError),
    /// An idempotency key sent again with a different request.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("the Idempotency-Key header must be 1 to 255 visible ASCII characters")]
    IdempotencyKey,
    /// A reservation over hours of which some book by approval and others first-come.
    #[error("the covered hours do not all book the same way (approval or first-come); ask for them separately")]
    MixedBookingModes,
    /// A change of booking mode over an empty or reversed range.
    #[error("`from` must be before `to`")]
    EmptyRange,
}

/// The request is valid but clashes with the current state.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    #[error("that username is taken")]
    DuplicateUsername,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("not enough seats remain in a covered slot")]
    InsufficientCapacity,
    /// As `InsufficientCapacity`, naming the first covered hour that is short.
    #[error("not enough seats remain in the hour starting {}", rfc3339(*.0))]
    HourFull(OffsetDateTime),
    #[error("no exam slot exists for a covered hour")]
    SlotMissing,
    #[error("the reservation changed concurrently; it is now {}", .0.as_str())]
    StatusChanged(ReservationStatus),
    #[error("a voucher with that code exists")]
    DuplicateVoucherCode,
    #[error("you have already claimed this voucher")]
    AlreadyClaimed,
    #[error("this voucher is sold out")]
    SoldOut,
    #[error("this claim has already been used")]
    AlreadyUsed,
    /// The first request with this idempotency key is still being answered.
    #[error("a request with this Idempotency-Key is still in progress; retry shortly")]
    IdempotencyKeyInProgress,
}

macro_rules! invalid_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                AppError::Invalid(e.into())
            }
        }
    )*};
}
invalid_from!(
    UsernameError,
    PasswordError,
    SeatsError,
    HourRangeError,
    WindowError,
    BookError,
    VoucherRuleError,
    RedemptionCodeError
);

impl From<ClaimRefusal> for AppError {
    fn from(r: ClaimRefusal) -> Self {
        match r {
            ClaimRefusal::SoldOut => Conflict::SoldOut.into(),
            other => Invalid::ClaimWindow(other).into(),
        }
    }
}

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::NotFound => AppError::NotFound("reservation"),
            other => AppError::Conflict(Conflict::Transition(other)),
        }
    }
}

impl From<HashError> for AppError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => AppError::Busy,
            HashError::Backend(b) => AppError::Backend(b),
        }
    }
}

impl From<LockError> for AppError {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Timeout => AppError::Busy,
            LockError::Backend(b) => AppError::Backend(b),
        }
    }
}

impl From<CreateUserError> for AppError {
    fn from(e: CreateUserError) -> Self {
        match e {
            CreateUserError::DuplicateUsername => Conflict::DuplicateUsername.into(),
            CreateUserError::Backend(b) => b.into(),
        }
    }
}

impl From<UpdateUserError> for AppError {
    fn from(e: UpdateUserError) -> Self {
        match e {
            UpdateUserError::NotFound => AppError::NotFound("user"),
            UpdateUserError::DuplicateUsername => Conflict::DuplicateUsername.into(),
            UpdateUserError::Backend(b) => b.into(),
        }
    }
}

impl From<DeleteUserError> for AppError {
    fn from(e: DeleteUserError) -> Self {
        match e {
            DeleteUserError::NotFound => AppError::NotFound("user"),
            DeleteUserError::Backend(b) => b.into(),
        }
    }
}

impl From<CreateReservationError> for AppError {
    fn from(e: CreateReservationError) -> Self {
        match e {
            CreateReservationError::SlotMissing => Conflict::SlotMissing.into(),
            CreateReservationError::InsufficientCapacity {
                short_hour: Some(hour),
            } => Conflict::HourFull(hour).into(),
            CreateReservationError::InsufficientCapacity { short_hour: None } => {
                Conflict::InsufficientCapacity.into()
            }
            CreateReservationError::MixedModes => Invalid::MixedBookingModes.into(),
            CreateReservationError::Backend(b) => b.into(),
        }
    }
}

impl From<ChangeReservationError> for AppError {
    fn from(e: ChangeReservationError) -> Self {
        match e {
            ChangeReservationError::NotFound => AppError::NotFound("reservation"),
            ChangeReservationError::StatusChanged(s) => Conflict::StatusChanged(s).into(),
            ChangeReservationError::SlotMissing => Conflict::SlotMissing.into(),
            ChangeReservationError::InsufficientCapacity => Conflict::InsufficientCapacity.into(),
            ChangeReservationError::Backend(b) => b.into(),
        }
    }
}
