//! The embedded store as the rest of the service sees it: every repository call runs on a
//! small runtime of its own, never on the caller's.
//!
//! diesel-async's SQLite wrapper runs each statement on a blocking thread and, if the future
//! driving it is dropped half-way (a client that hangs up, a request cancelled by a body-size
//! error), waits for that statement with `block_in_place`, which panics on actix's
//! single-threaded workers. Here the caller only awaits a spawned task: dropping the caller
//! leaves the task to finish on a multi-threaded runtime, so no query is ever abandoned.

use super::SqliteRepos;
use async_trait::async_trait;
use domain::audit::{AuditEntry, AuditNote};
use domain::voucher::{Book, BookDraft, Claim, ClaimId, Voucher, VoucherId};
use domain::{
    BookingMode, HourRange, Page, PageRequest, RedemptionCode, Reservation, ReservationId,
    ReservationStatus, Seats, SessionState, SlotHorizon, User, UserId,
};
use ports::{
    AuditFilter, AuditLog, BackendError, ChangeReservationError, ClaimError,
    CreateReservationError, CreateUserError, CreateVoucherError, DeleteUserError, Discrepancy,
    EnsureReport, HealthProbe, IdempotencyKeys, KeyAges, KeyStart, NewReservation, NewUser,
    NewVoucher, Outbox, OutboxEvent, Reconciliation, RedeemError, Release, Released,
    ReservationFilter, ReservationRepository, Slot, SlotRepository, StoredCredentials,
    UpdateUserError, UpdateVoucherError, UseClaimError, UserChanges, UserRepository,
    VoucherCatalog, VoucherChanges, VoucherClaims,
};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;

/// Owns the runtime and shuts it down without blocking, whatever context drops the last store.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The embedded store: one SQLite file, every call on the store's own runtime.
#[derive(Clone)]
pub struct SqliteStore {
    repos: SqliteRepos,
    runtime: Arc<Runtime>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.repos.path())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store on the file at `path`; the connection opens on first use.
    ///
    /// # Errors
    /// `path` looks like a URL or is empty, or the runtime cannot start.
    pub fn open(path: &Path) -> Result<Self, BackendError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            // One connection: one thread drives it, a second keeps cancellations cheap.
            .worker_threads(2)
            .thread_name("sqlite-store")
            .enable_all()
            .build()
            .map_err(BackendError::new)?;
        // The pool is built on the store's runtime, so its connections are tied to it too.
        let repos = {
            let _guard = runtime.enter();
            SqliteRepos::open(path)?
        };
        Ok(Self {
            repos,
            runtime: Arc::new(Runtime(Some(runtime))),
        })
    }

    /// Runs `call` on the store's runtime and waits for it; dropping the wait does not cancel
    /// the call.
    async fn run<T, E, F>(&self, call: impl FnOnce(SqliteRepos) -> F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<BackendError> + Send + 'static,
    {
        let Some(runtime) = self.runtime.0.as_ref() else {
            return Err(BackendError::msg("the embedded store is shut down").into());
        };
        match runtime.spawn(call(self.repos.clone())).await {
            Ok(outcome) => outcome,
            Err(e) => Err(BackendError::new(e).into()),
        }
    }
}

/// Implements a port on `SqliteStore` by running each method of the same name on the store's
/// runtime. An argument marked `as borrowed` is copied into the call (it must outlive the
/// caller's borrow); a method marked `each ARG` answers a list, one outcome per item of `ARG`,
/// and a failure of the runtime answers every item with it.
macro_rules! forward {
    ($port:ident {$(
        fn $name:ident($($arg:ident: $ty:ty $(as $how:ident)?),* $(,)?) -> $ret:ty $(, each $count:ident)?;
    )*}) => {
        #[async_trait]
        impl $port for SqliteStore {$(
            async fn $name(&self, $($arg: $ty),*) -> $ret {
                forward!(@body self, $port, $name, ($($arg $($how)?),*) $(, $count)?)
            }
        )*}
    };
    (@body $store:ident, $port:ident, $name:ident, ($($arg:ident $($how:ident)?),*)) => {{
        $(let $arg = forward!(@own $arg $($how)?);)*
        $store
            .run(|r| async move { $port::$name(&r, $(forward!(@pass $arg $($how)?)),*).await })
            .await
    }};
    (@body $store:ident, $port:ident, $name:ident, ($($arg:ident $($how:ident)?),*), $count:ident) => {{
        let count = $count.len();
        $(let $arg = forward!(@own $arg $($how)?);)*
        let outcome = $store
            .run(|r| async move {
                Ok::<_, BackendError>($port::$name(&r, $(forward!(@pass $arg $($how)?)),*).await)
            })
            .await;
        outcome.unwrap_or_else(|e| (0..count).map(|_| Err(e.clone().into())).collect())
    }};
    (@own $arg:ident) => { $arg };
    (@own $arg:ident borrowed) => { $arg.to_owned() };
    (@pass $arg:ident) => { $arg };
    (@pass $arg:ident borrowed) => { &$arg };
}

forward!(UserRepository {
    fn create(user: NewUser, audit: Option<AuditNote>) -> Result<User, CreateUserError>;
    fn get(id: UserId) -> Result<Option<User>, BackendError>;
    fn credentials(username: &str as borrowed) -> Result<Option<StoredCredentials>, BackendError>;
    fn list(page: PageRequest) -> Result<Page<User>, BackendError>;
    fn update(
        id: UserId,
        changes: UserChanges,
        audit: Option<AuditNote>,
    ) -> Result<User, UpdateUserError>;
    fn delete(
        id: UserId,
        release: Release,
        audit: Option<AuditNote>,
    ) -> Result<(), DeleteUserError>;
    fn session_state(
        id: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<SessionState>, BackendError>;
    fn revoke_token(
        id: UserId,
        token_id: &str as borrowed,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), BackendError>;
});

forward!(SlotRepository {
    fn ensure(
        horizon: SlotHorizon,
        capacity: u32,
        mode: BookingMode,
    ) -> Result<EnsureReport, BackendError>;
    fn set_mode(
        from: OffsetDateTime,
        to: OffsetDateTime,
        mode: BookingMode,
        audit: AuditNote,
    ) -> Result<u64, BackendError>;
    fn list_between(from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<Slot>, BackendError>;
});

forward!(ReservationRepository {
    fn create(new: NewReservation) -> Result<Reservation, CreateReservationError>;
    fn create_many(
        asks: Vec<NewReservation>,
    ) -> Vec<Result<Reservation, CreateReservationError>>, each asks;
    fn get(id: ReservationId) -> Result<Option<Reservation>, BackendError>;
    fn list(
        filter: ReservationFilter,
        page: PageRequest,
    ) -> Result<Page<Reservation>, BackendError>;
    fn update_pending(
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
        audit: Option<AuditNote>,
    ) -> Result<Reservation, ChangeReservationError>;
    fn confirm(
        id: ReservationId,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Reservation, ChangeReservationError>;
    fn confirm_many(
        asks: Vec<(ReservationId, AuditNote)>,
        now: OffsetDateTime,
    ) -> Vec<Result<Reservation, ChangeReservationError>>, each asks;
    fn cancel(
        id: ReservationId,
        expected: ReservationStatus,
        release: Release,
        audit: Option<AuditNote>,
    ) -> Result<Released, ChangeReservationError>;
    fn move_confirmed(
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        release: Release,
        audit: AuditNote,
    ) -> Result<Released, ChangeReservationError>;
    fn waitlist_positions(
        ids: Vec<ReservationId>,
    ) -> Result<Vec<(ReservationId, u32)>, BackendError>;
    fn expire_waiting(
        closed_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<ReservationId>, BackendError>;
});

forward!(VoucherCatalog {
    fn create_book(book: BookDraft, now: OffsetDateTime, audit: AuditNote) -> Result<Book, BackendError>;
    fn list_books(page: PageRequest) -> Result<Page<Book>, BackendError>;
    fn create_voucher(new: NewVoucher, audit: AuditNote) -> Result<Voucher, CreateVoucherError>;
    fn get_voucher(id: VoucherId) -> Result<Option<Voucher>, BackendError>;
    fn list_vouchers(page: PageRequest) -> Result<Page<Voucher>, BackendError>;
    fn list_live(now: OffsetDateTime) -> Result<Vec<Voucher>, BackendError>;
    fn update_voucher(
        id: VoucherId,
        changes: VoucherChanges,
        audit: AuditNote,
    ) -> Result<Voucher, UpdateVoucherError>;
});

forward!(VoucherClaims {
    fn claim(user: UserId, voucher: VoucherId, now: OffsetDateTime) -> Result<Claim, ClaimError>;
    fn claim_many(
        users: &[UserId] as borrowed,
        voucher: VoucherId,
        now: OffsetDateTime,
    ) -> Vec<Result<Claim, ClaimError>>, each users;
    fn list_user_claims(user: UserId, page: PageRequest) -> Result<Page<Claim>, BackendError>;
    fn list_voucher_claims(
        voucher: VoucherId,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError>;
    fn use_claim(user: UserId, claim: ClaimId, now: OffsetDateTime) -> Result<Claim, UseClaimError>;
    fn redeem(
        code: &RedemptionCode as borrowed,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Claim, RedeemError>;
});

forward!(AuditLog {
    fn list(filter: AuditFilter, page: PageRequest) -> Result<Page<AuditEntry>, BackendError>;
});

forward!(IdempotencyKeys {
    fn start(
        user: UserId,
        key: &str as borrowed,
        fingerprint: &str as borrowed,
        now: OffsetDateTime,
        ages: KeyAges,
    ) -> Result<KeyStart, BackendError>;
    fn finish(
        user: UserId,
        key: &str as borrowed,
        status: u16,
        body: &str as borrowed,
    ) -> Result<(), BackendError>;
    fn abandon(user: UserId, key: &str as borrowed) -> Result<(), BackendError>;
    fn purge(before: OffsetDateTime) -> Result<u64, BackendError>;
});

forward!(Outbox {
    fn events_after(
        after: i64,
        owner: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, BackendError>;
    fn purge(before: OffsetDateTime) -> Result<u64, BackendError>;
});

forward!(Reconciliation {
    fn discrepancies() -> Result<Vec<Discrepancy>, BackendError>;
});

#[async_trait]
impl HealthProbe for SqliteStore {
    fn name(&self) -> &'static str {
        self.repos.name()
    }

    async fn check(&self) -> Result<(), BackendError> {
        self.run(|r| async move { r.check().await }).await
    }
}
