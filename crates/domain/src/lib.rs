//! The pure rules of the booking service: time alignment, the booking window, seat counts,
//! slot capacity, reservation state changes, users and paging.
//!
//! Nothing here performs I/O or knows about a runtime, a database or the web; every function is
//! deterministic given its inputs (the current instant is always passed in), which is what lets
//! the rules be tested exhaustively, including with property tests.

pub mod audit;
pub mod capacity;
pub mod event;
pub mod first_come;
pub mod horizon;
pub mod hours;
pub mod paging;
pub mod redemption;
pub mod reservation;
pub mod seats;
pub mod session;
pub mod user;
pub mod voucher;
pub mod window;

pub use capacity::{CapacityError, SlotLoad, DEFAULT_SLOT_CAPACITY};
pub use event::EventType;
pub use first_come::BookingMode;
pub use horizon::SlotHorizon;
pub use hours::{HourRange, HourRangeError, ServiceOffset, SLOT_LENGTH};
pub use paging::{Page, PageRequest, PagingError};
pub use redemption::{RedemptionCode, RedemptionCodeError, REDEMPTION_CODE_BYTES};
pub use reservation::{
    Actor, EditKind, Reservation, ReservationId, ReservationStatus, TransitionError,
};
pub use seats::{Seats, SeatsError};
pub use session::{SessionRefusal, SessionState};
pub use user::{Password, PasswordError, Role, User, UserId, Username, UsernameError};
pub use window::{BookingWindow, WindowError};
