//! Mapping driver errors to port errors, and the bounded retry of transient conflicts.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ports::BackendError;

/// Deadlocks, serialization failures and SQLite's busy file lock are transient: the same
/// transaction usually succeeds when simply run again.
pub(crate) const ATTEMPTS: usize = 3;

pub(crate) fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("deadlock detected") || message.contains("database is locked")
        }
        _ => false,
    }
}

pub(crate) fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

pub(crate) fn is_check_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, _)
    )
}

pub(crate) fn is_foreign_key_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)
    )
}

/// How a one-statement change says "refused": it divides by zero, which aborts it whole.
pub(crate) fn is_division_by_zero(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(_, info) if info.message().contains("division by zero"))
}

pub(crate) fn backend(e: DieselError) -> BackendError {
    BackendError::new(e)
}

/// Errors raised inside a transaction: a business outcome that must roll back, or a database
/// error.
#[derive(Debug)]
pub(crate) enum TxError<B> {
    Rule(B),
    Db(DieselError),
}

impl<B> From<DieselError> for TxError<B> {
    fn from(e: DieselError) -> Self {
        TxError::Db(e)
    }
}

/// Evaluates a transaction expression again while it fails with a transient conflict, at most
/// `ATTEMPTS` times. (A macro rather than a function taking an async closure: the closure form
/// trips the compiler's `Send` inference for futures borrowing the connection.)
macro_rules! retry_tx {
    ($attempt:expr) => {{
        let mut tries = 0;
        loop {
            tries += 1;
            match $attempt {
                Err($crate::errors::TxError::Db(e))
                    if tries < $crate::errors::ATTEMPTS && $crate::errors::is_transient(&e) =>
                {
                    tracing::debug!(error = %e, tries, "retrying a transient database conflict");
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use retry_tx;
