//! Ceilings measured in the same run as the workloads: raw argon2id on every core, and the
//! api-server's resident memory while a workload runs.

use argon2::{Argon2, Params};
use hash_memory::HashMemory;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Raw argon2id verifications counted over one or more slices of time.
#[derive(Debug, Default, Clone)]
pub struct Count {
    done: u64,
    elapsed: Duration,
    /// Each slice's own rate, to show how much the host drifted.
    slice_rates: Vec<f64>,
}

impl Count {
    pub fn per_second(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// "71/s (slices 53-94/s)": the whole rate and the range of the slices'.
    pub fn spread(&self) -> String {
        let low = self
            .slice_rates
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let high = self.slice_rates.iter().copied().fold(0.0, f64::max);
        format!("{:.0}/s (slices {low:.0}-{high:.0}/s)", self.per_second())
    }
}

impl std::ops::AddAssign for Count {
    fn add_assign(&mut self, other: Self) {
        self.done += other.done;
        self.elapsed += other.elapsed;
        self.slice_rates.extend(other.slice_rates);
    }
}

/// Password verifications that argon2id with the service's parameters (the crate's defaults)
/// manages on all cores at once, with nothing else around it, in `run_for`. Each thread hashes
/// on the same kind of memory as the service's workers (huge pages where offered), so the
/// ceiling is as fast as the service could possibly be.
pub fn argon2_verifications(run_for: Duration) -> Count {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                let argon2 = Argon2::default();
                let mut memory = HashMemory::default();
                let blocks = Params::default().block_count();
                let mut out = [0u8; 32];
                while started.elapsed() < run_for {
                    if argon2
                        .hash_password_into_with_memory(
                            b"bench-password",
                            b"0123456789abcdef",
                            &mut out,
                            memory.blocks(blocks),
                        )
                        .is_ok()
                    {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let (done, elapsed) = (done.load(Ordering::Relaxed), started.elapsed());
    Count {
        done,
        elapsed,
        slice_rates: vec![done as f64 / elapsed.as_secs_f64().max(1e-9)],
    }
}

/// Samples a process's resident set every 50 ms and keeps the maximum.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<f64>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut max_kb = 0u64;
            while !flag.load(Ordering::Relaxed) {
                max_kb = max_kb.max(rss_kb(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50));
            }
            max_kb as f64 / 1024.0
        });
        Self { stop, thread }
    }

    /// The largest resident set seen, in MiB.
    pub fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0.0)
    }
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
