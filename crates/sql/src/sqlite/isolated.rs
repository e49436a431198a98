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
    HourRange, Page, PageRequest, RedemptionCode, Reservation, ReservationId, ReservationStatus,
    Seats, SessionState, SlotHorizon, User, UserId,
};
use ports::{
    AuditFilter, AuditLog, BackendError, ChangeReservationError, ClaimError,
    CreateReservationError, CreateUserError, CreateVoucherError, DeleteUserError, Discrepancy,
    EnsureReport, HealthProbe, IdempotencyKeys, KeyAges, KeyStart, NewReservation, NewUser,
    NewVoucher, Reconciliation, RedeemError, ReservationFilter, ReservationRepository, Slot,
    SlotRepository, StoredCredentials, UpdateUserError, UpdateVoucherError, UseClaimError,
    UserChanges, UserRepository, VoucherChanges, VoucherRepository,
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

    /// The database file.
    pub fn path(&self) -> &Path {
        self.repos.path()
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

#[async_trait]
impl UserRepository for SqliteStore {
    async fn create(
        &self,
        user: NewUser,
        audit: Option<AuditNote>,
    ) -> Result<User, CreateUserError> {
        self.run(|r| async move { UserRepository::create(&r, user, audit).await })
            .await
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, BackendError> {
        self.run(|r| async move { UserRepository::get(&r, id).await })
            .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<StoredCredentials>, BackendError> {
        let username = username.to_owned();
        self.run(|r| async move { r.credentials(&username).await })
            .await
    }

    async fn list(&self, page: PageRequest) -> Result<Page<User>, BackendError> {
        self.run(|r| async move { UserRepository::list(&r, page).await })
            .await
    }

    async fn update(
        &self,
        id: UserId,
        changes: UserChanges,
        audit: Option<AuditNote>,
    ) -> Result<User, UpdateUserError> {
        self.run(|r| async move { r.update(id, changes, audit).await })
            .await
    }

    async fn delete(
        &self,
        id: UserId,
        now: OffsetDateTime,
        audit: Option<AuditNote>,
    ) -> Result<(), DeleteUserError> {
        self.run(|r| async move { r.delete(id, now, audit).await })
            .await
    }

    async fn session_state(
        &self,
        id: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<SessionState>, BackendError> {
        self.run(|r| async move { r.session_state(id, now).await })
            .await
    }

    async fn revoke_token(
        &self,
        id: UserId,
        token_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), BackendError> {
        let token_id = token_id.to_owned();
        self.run(|r| async move { r.revoke_token(id, &token_id, expires_at, now).await })
            .await
    }
}

#[async_trait]
impl SlotRepository for SqliteStore {
    async fn ensure(
        &self,
        horizon: SlotHorizon,
        capacity: u32,
    ) -> Result<EnsureReport, BackendError> {
        self.run(|r| async move { r.ensure(horizon, capacity).await })
            .await
    }

    async fn list_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Slot>, BackendError> {
        self.run(|r| async move { r.list_between(from, to).await })
            .await
    }
}

#[async_trait]
impl ReservationRepository for SqliteStore {
    async fn create(&self, new: NewReservation) -> Result<Reservation, CreateReservationError> {
        self.run(|r| async move { ReservationRepository::create(&r, new).await })
            .await
    }

    async fn create_many(
        &self,
        asks: Vec<NewReservation>,
    ) -> Vec<Result<Reservation, CreateReservationError>> {
        let count = asks.len();
        let outcome = self
            .run(|r| async move { Ok::<_, BackendError>(r.create_many(asks).await) })
            .await;
        outcome.unwrap_or_else(|e| {
            (0..count)
                .map(|_| Err(CreateReservationError::Backend(e.clone())))
                .collect()
        })
    }

    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, BackendError> {
        self.run(|r| async move { ReservationRepository::get(&r, id).await })
            .await
    }

    async fn list(
        &self,
        filter: ReservationFilter,
        page: PageRequest,
    ) -> Result<Page<Reservation>, BackendError> {
        self.run(|r| async move { ReservationRepository::list(&r, filter, page).await })
            .await
    }

    async fn update_pending(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
        audit: Option<AuditNote>,
    ) -> Result<Reservation, ChangeReservationError> {
        self.run(|r| async move { r.update_pending(id, range, seats, now, audit).await })
            .await
    }

    async fn confirm(
        &self,
        id: ReservationId,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Reservation, ChangeReservationError> {
        self.run(|r| async move { r.confirm(id, now, audit).await })
            .await
    }

    async fn confirm_many(
        &self,
        asks: Vec<(ReservationId, AuditNote)>,
        now: OffsetDateTime,
    ) -> Vec<Result<Reservation, ChangeReservationError>> {
        let count = asks.len();
        let outcome = self
            .run(|r| async move { Ok::<_, BackendError>(r.confirm_many(asks, now).await) })
            .await;
        outcome.unwrap_or_else(|e| {
            (0..count)
                .map(|_| Err(ChangeReservationError::Backend(e.clone())))
                .collect()
        })
    }

    async fn cancel(
        &self,
        id: ReservationId,
        expected: ReservationStatus,
        now: OffsetDateTime,
        audit: Option<AuditNote>,
    ) -> Result<Reservation, ChangeReservationError> {
        self.run(|r| async move { r.cancel(id, expected, now, audit).await })
            .await
    }

    async fn move_confirmed(
        &self,
        id: ReservationId,
        range: HourRange,
        seats: Seats,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Reservation, ChangeReservationError> {
        self.run(|r| async move { r.move_confirmed(id, range, seats, now, audit).await })
            .await
    }
}

#[async_trait]
impl VoucherRepository for SqliteStore {
    async fn create_book(
        &self,
        book: BookDraft,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Book, BackendError> {
        self.run(|r| async move { r.create_book(book, now, audit).await })
            .await
    }

    async fn list_books(&self, page: PageRequest) -> Result<Page<Book>, BackendError> {
        self.run(|r| async move { r.list_books(page).await }).await
    }

    async fn create_voucher(
        &self,
        new: NewVoucher,
        audit: AuditNote,
    ) -> Result<Voucher, CreateVoucherError> {
        self.run(|r| async move { r.create_voucher(new, audit).await })
            .await
    }

    async fn get_voucher(&self, id: VoucherId) -> Result<Option<Voucher>, BackendError> {
        self.run(|r| async move { r.get_voucher(id).await }).await
    }

    async fn list_vouchers(&self, page: PageRequest) -> Result<Page<Voucher>, BackendError> {
        self.run(|r| async move { r.list_vouchers(page).await })
            .await
    }

    async fn list_live(&self, now: OffsetDateTime) -> Result<Vec<Voucher>, BackendError> {
        self.run(|r| async move { r.list_live(now).await }).await
    }

    async fn update_voucher(
        &self,
        id: VoucherId,
        changes: VoucherChanges,
        audit: AuditNote,
    ) -> Result<Voucher, UpdateVoucherError> {
        self.run(|r| async move { r.update_voucher(id, changes, audit).await })
            .await
    }

    async fn claim(
        &self,
        user: UserId,
        voucher: VoucherId,
        now: OffsetDateTime,
    ) -> Result<Claim, ClaimError> {
        self.run(|r| async move { r.claim(user, voucher, now).await })
            .await
    }

    async fn claim_many(
        &self,
        users: &[UserId],
        voucher: VoucherId,
        now: OffsetDateTime,
    ) -> Vec<Result<Claim, ClaimError>> {
        let asked = users.to_vec();
        let outcome = self
            .run(|r| async move { Ok::<_, BackendError>(r.claim_many(&asked, voucher, now).await) })
            .await;
        outcome.unwrap_or_else(|e| vec![Err(ClaimError::Backend(e)); users.len()])
    }

    async fn list_user_claims(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError> {
        self.run(|r| async move { r.list_user_claims(user, page).await })
            .await
    }

    async fn list_voucher_claims(
        &self,
        voucher: VoucherId,
        page: PageRequest,
    ) -> Result<Page<Claim>, BackendError> {
        self.run(|r| async move { r.list_voucher_claims(voucher, page).await })
            .await
    }

    async fn use_claim(
        &self,
        user: UserId,
        claim: ClaimId,
        now: OffsetDateTime,
    ) -> Result<Claim, UseClaimError> {
        self.run(|r| async move { r.use_claim(user, claim, now).await })
            .await
    }

    async fn redeem(
        &self,
        code: &RedemptionCode,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Claim, RedeemError> {
        let code = code.clone();
        self.run(|r| async move { r.redeem(&code, now, audit).await })
            .await
    }
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn list(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, BackendError> {
        self.run(|r| async move { AuditLog::list(&r, filter, page).await })
            .await
    }
}

#[async_trait]
impl IdempotencyKeys for SqliteStore {
    async fn start(
        &self,
        user: UserId,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        ages: KeyAges,
    ) -> Result<KeyStart, BackendError> {
        let (key, fingerprint) = (key.to_owned(), fingerprint.to_owned());
        self.run(|r| async move { r.start(user, &key, &fingerprint, now, ages).await })
            .await
    }

    async fn finish(
        &self,
        user: UserId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), BackendError> {
        let (key, body) = (key.to_owned(), body.to_owned());
        self.run(|r| async move { r.finish(user, &key, status, &body).await })
            .await
    }

    async fn abandon(&self, user: UserId, key: &str) -> Result<(), BackendError> {
        let key = key.to_owned();
        self.run(|r| async move { r.abandon(user, &key).await })
            .await
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<u64, BackendError> {
        self.run(|r| async move { r.purge(before).await }).await
    }
}

#[async_trait]
impl Reconciliation for SqliteStore {
    async fn discrepancies(&self) -> Result<Vec<Discrepancy>, BackendError> {
        self.run(|r| async move { r.discrepancies().await }).await
    }
}

#[async_trait]
impl HealthProbe for SqliteStore {
    fn name(&self) -> &'static str {
        self.repos.name()
    }

    async fn check(&self) -> Result<(), BackendError> {
        self.run(|r| async move { r.check().await }).await
    }
}
