//! argon2id password hashing on a fixed pool of worker threads.
//!
//! A hash costs ~25 ms of CPU and 19 MiB of memory. Left unbounded, a burst of log-ins (no
//! account needed to send one) would take every core and gigabytes of memory. So hashing runs
//! on `workers` threads of its own (one per core by default), each reusing one memory buffer
//! (on huge pages where the kernel has them: see the `hash-memory` crate) while log-ins keep
//! coming; a request waits at most `wait` for a free worker and is otherwise
//! answered `Busy` (503 with Retry-After). Memory stays flat at `workers` x 19 MiB under any
//! burst and goes back to the OS between bursts, and the async workers keep serving
//! everything else.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use domain::Password;
use hash_memory::HashMemory;
use ports::{BackendError, HashError, PasswordHasher};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Bytes of random salt per hash (the PHC recommendation).
const SALT_LEN: usize = 16;

/// One hashing job: runs on a worker with that worker's memory.
type Job = Box<dyn FnOnce(&mut HashMemory) + Send>;

#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    jobs: mpsc::Sender<Job>,
    /// One permit per worker: a request holds one from admission until its hash is done.
    permits: Arc<Semaphore>,
    wait: Duration,
    /// A real hash of a random secret, checked for unknown users so they cost the same time.
    dummy_hash: Arc<str>,
}

impl Argon2Hasher {
    /// Starts `workers` hashing threads (0 = one per core).
    ///
    /// # Errors
    /// When a thread cannot be started or the dummy hash cannot be computed.
    pub async fn start(workers: usize, wait: Duration) -> Result<Self, BackendError> {
        let workers = match workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&queue))
                .map_err(BackendError::new)?;
        }
        let mut hasher = Self {
            jobs,
            permits: Arc::new(Semaphore::new(workers)),
            wait,
            dummy_hash: Arc::from(""),
        };
        let secret = uuid::Uuid::new_v4().to_string();
        hasher.dummy_hash = hasher
            .run(move |memory| hash_with(memory, &secret))
            .await
            .map_err(|e| BackendError::msg(format!("cannot compute the dummy hash: {e:?}")))??
            .into();
        Ok(hasher)
    }

    /// Runs `f` on a worker, waiting at most `self.wait` for one.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit: OwnedSemaphorePermit =
            tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| HashError::Busy)?
                .map_err(|e| HashError::Backend(BackendError::new(e)))?;
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // The permit goes with the job, so a caller that hangs up does not free a worker
            // that is still busy.
            let _permit = permit;
            let _ = reply.send(f(memory));
        });
        self.jobs
            .send(job)
            .map_err(|_| HashError::Backend(BackendError::msg("the hashing workers stopped")))?;
        answer
            .await
            .map_err(|_| HashError::Backend(BackendError::msg("a hashing worker failed")))
    }
}

/// How long a worker keeps its buffer after its last hash. A burst of log-ins reuses it; a
/// server that is only serving reads gives its 19 MiB per worker back.
const KEEP_MEMORY_FOR: Duration = Duration::from_secs(2);

/// A worker: takes jobs until the pool is dropped, reusing one buffer while jobs keep coming
/// and dropping it after [`KEEP_MEMORY_FOR`] without one.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    let mut memory = HashMemory::default();
    loop {
        // Waiting with a timeout even without a buffer: the queue's lock is then given up
        // now and then, so a worker queued behind this one gets to time out and free its own.
        let job = queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv_timeout(KEEP_MEMORY_FOR);
        match job {
            Ok(job) => job(&mut memory),
            Err(mpsc::RecvTimeoutError::Timeout) => memory.release(),
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn hash_with(memory: &mut HashMemory, password: &str) -> Result<String, BackendError> {
    let failed = |e: &dyn std::fmt::Display| BackendError::msg(format!("argon2 hashing: {e}"));
    let params = Params::default();
    let salt_bytes: [u8; SALT_LEN] = rand::random();
    let salt = Salt::new(&salt_bytes).map_err(|e| failed(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            memory.blocks(params.block_count()),
        )
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

fn verify_with(memory: &mut HashMemory, password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(params), Some(salt), Some(expected)) =
        (Params::try_from(&parsed), parsed.salt, parsed.hash)
    else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        &salt,
        &mut out,
        memory.blocks(blocks),
    );
    // Output's equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.expose().to_owned();
        let started = std::time::Instant::now();
        let hashed = self
            .run(move |memory| hash_with(memory, &password))
            .await?
            .map_err(HashError::Backend);
        metrics::histogram!("password_hash_seconds", "op" => "hash")
            .record(started.elapsed().as_secs_f64());
        hashed
    }

    async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, HashError> {
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let started = std::time::Instant::now();
        let matches = self
            .run(move |memory| verify_with(memory, &password, &hash))
            .await;
        metrics::histogram!("password_hash_seconds", "op" => "verify")
            .record(started.elapsed().as_secs_f64());
        if matches!(matches, Err(HashError::Busy)) {
            metrics::counter!("password_hash_busy_total").increment(1);
        }
        // Busy must reach the caller for unknown users too (not short-circuited away).
        let matches = matches?;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier as _;

    async fn hasher() -> Argon2Hasher {
        Argon2Hasher::start(2, Duration::from_secs(5))
            .await
            .expect("hasher")
    }

    #[tokio::test]
    async fn hashes_are_standard_argon2id_and_verify_only_the_right_password() {
        let hasher = hasher().await;
        let password = Password::parse("correct horse").expect("valid");
        let hash = hasher.hash(&password).await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        // The reference implementation agrees: hashes stay portable.
        Argon2::default()
            .verify_password(b"correct horse", &PasswordHash::new(&hash).expect("phc"))
            .expect("the crate's own verifier accepts it");
        assert!(hasher
            .verify("correct horse", Some(hash.clone()))
            .await
            .expect("ok"));
        assert!(!hasher.verify("wrong horse", Some(hash)).await.expect("ok"));
    }

    #[tokio::test]
    async fn hashes_made_by_the_crate_itself_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let stored = Argon2::default()
            .hash_password(b"made elsewhere")
            .expect("hash")
            .to_string();
        let hasher = hasher().await;
        assert!(hasher
            .verify("made elsewhere", Some(stored))
            .await
            .expect("ok"));
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = hasher().await;
        assert!(!hasher.verify("anything", None).await.expect("ok"));
        assert!(!hasher
            .verify("anything", Some("not a hash".into()))
            .await
            .expect("ok"));
    }

    #[tokio::test]
    async fn a_request_that_cannot_get_a_worker_in_time_is_busy() {
        let hasher = Argon2Hasher::start(1, Duration::from_millis(1))
            .await
            .expect("hasher");
        let password = Password::parse("correct horse").expect("valid");
        let (a, b, c) = tokio::join!(
            hasher.hash(&password),
            hasher.hash(&password),
            hasher.hash(&password)
        );
        let busy = [&a, &b, &c]
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        assert!(
            busy >= 1,
            "one worker, three hashes at once, 1 ms of patience"
        );
        assert!([a, b, c].iter().any(Result::is_ok));
    }
}
