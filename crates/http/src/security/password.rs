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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Bytes of random salt per hash (the PHC recommendation).
const SALT_LEN: usize = 16;

/// One hashing task: runs on a worker with that worker's memory.
type Task = Box<dyn FnOnce(&mut HashMemory) + Send>;

/// A task and the permit it was admitted with. The permit goes with the job, so a caller that
/// hangs up does not free a worker that is still busy.
struct Job {
    task: Task,
    permit: OwnedSemaphorePermit,
}

/// How long a worker keeps its buffer after its last hash. A burst of log-ins reuses it; a
/// server that is only serving reads gives its 19 MiB per worker back.
const KEEP_MEMORY_FOR: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    /// Each worker's own queue, by worker number: every worker times out on its own.
    queues: Arc<[mpsc::Sender<Job>]>,
    /// The workers without a job, the most recently busy last. Jobs go to the last one, so a
    /// light load keeps one worker (and its buffer) warm while the others stay idle long enough
    /// to give theirs back.
    idle: Arc<Mutex<Vec<usize>>>,
    /// One permit per worker: a request holds one from admission until its hash is done.
    permits: Arc<Semaphore>,
    wait: Duration,
    /// Workers holding a buffer (the `password_hash_buffers` gauge).
    buffers: Arc<AtomicUsize>,
    /// A real hash of a random secret, checked for unknown users so they cost the same time.
    dummy_hash: Arc<str>,
}

impl Argon2Hasher {
    /// Starts `workers` hashing threads (0 = one per core).
    ///
    /// # Errors
    /// When a thread cannot be started or the dummy hash cannot be computed.
    pub async fn start(workers: usize, wait: Duration) -> Result<Self, BackendError> {
        Self::start_keeping(workers, wait, KEEP_MEMORY_FOR).await
    }

    /// As [`Argon2Hasher::start`], each worker keeping its buffer for `keep` after its last
    /// hash.
    async fn start_keeping(
        workers: usize,
        wait: Duration,
        keep: Duration,
    ) -> Result<Self, BackendError> {
        let workers = match workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let idle = Arc::new(Mutex::new((0..workers).collect::<Vec<_>>()));
        let buffers = Arc::new(AtomicUsize::new(0));
        let mut queues = Vec::with_capacity(workers);
        for n in 0..workers {
            let (queue, jobs) = mpsc::channel::<Job>();
            let worker = Worker {
                number: n,
                idle: idle.clone(),
                buffers: buffers.clone(),
                keep,
            };
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || worker.work(&jobs))
                .map_err(BackendError::new)?;
            queues.push(queue);
        }
        let mut hasher = Self {
            queues: queues.into(),
            idle,
            permits: Arc::new(Semaphore::new(workers)),
            wait,
            buffers,
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
        // A permit means a worker on the idle list: workers go back on it before they release
        // their job's permit. Only a worker that died (a panic) can be missing.
        let worker = lock(&self.idle)
            .pop()
            .ok_or_else(|| HashError::Backend(BackendError::msg("no hashing worker is left")))?;
        let (reply, answer) = oneshot::channel();
        let task: Task = Box::new(move |memory| {
            let _ = reply.send(f(memory));
        });
        self.queues[worker]
            .send(Job { task, permit })
            .map_err(|_| HashError::Backend(BackendError::msg("the hashing workers stopped")))?;
        answer
            .await
            .map_err(|_| HashError::Backend(BackendError::msg("a hashing worker failed")))
    }

    /// How many workers hold a buffer now.
    pub fn buffers_held(&self) -> usize {
        self.buffers.load(Ordering::Relaxed)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One hashing thread.
struct Worker {
    number: usize,
    idle: Arc<Mutex<Vec<usize>>>,
    buffers: Arc<AtomicUsize>,
    keep: Duration,
}

impl Worker {
    /// Takes jobs until the pool is dropped, reusing one buffer while jobs keep coming and
    /// giving it back after `keep` without one.
    fn work(self, jobs: &mpsc::Receiver<Job>) {
        let mut memory = HashMemory::default();
        loop {
            let job = if memory.is_held() {
                jobs.recv_timeout(self.keep)
            } else {
                jobs.recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected)
            };
            match job {
                Ok(Job { task, permit }) => {
                    // Counted before the task answers its caller; uncounted again if it ended
                    // without hashing (an unparsable stored hash).
                    let held = memory.is_held();
                    if !held {
                        self.buffers.fetch_add(1, Ordering::Relaxed);
                    }
                    task(&mut memory);
                    if !held && !memory.is_held() {
                        self.buffers.fetch_sub(1, Ordering::Relaxed);
                    }
                    lock(&self.idle).push(self.number);
                    drop(permit);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    memory.release();
                    self.buffers.fetch_sub(1, Ordering::Relaxed);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            metrics::gauge!("password_hash_buffers")
                .set(self.buffers.load(Ordering::Relaxed) as f64);
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

    /// Waits up to 10 s for `held` buffers, hashing every 20 ms meanwhile if `busy`.
    async fn until_buffers(hasher: &Argon2Hasher, held: usize, busy: bool) -> bool {
        let password = Password::parse("correct horse").expect("valid");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if busy {
                hasher.hash(&password).await.expect("hash");
            }
            if hasher.buffers_held() == held {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_worker_gives_its_buffer_back_while_another_keeps_hashing() {
        let hasher =
            Argon2Hasher::start_keeping(2, Duration::from_secs(5), Duration::from_millis(300))
                .await
                .expect("hasher");
        let password = Password::parse("correct horse").expect("valid");
        let (a, b) = tokio::join!(hasher.hash(&password), hasher.hash(&password));
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(hasher.buffers_held(), 2, "both workers hashed at once");
        // One log-in at a time goes to the same worker; the other is idle and lets go.
        assert!(
            until_buffers(&hasher, 1, true).await,
            "the idle worker kept its buffer: {}",
            hasher.buffers_held()
        );
        assert!(
            until_buffers(&hasher, 0, false).await,
            "no log-ins, no buffers"
        );
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
