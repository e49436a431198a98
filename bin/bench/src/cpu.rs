//! CPU time each part of the stack spends while a workload runs, from the kernel's process
//! accounting (`/proc/<pid>/stat`): the server, PostgreSQL (all its processes), Redis and the
//! load generator itself. Per request, it says where a workload's cost lies.

/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on every Linux this runs on).
const TICKS_PER_SECOND: f64 = 100.0;

/// The parts, in the order of [`Ticks`].
const PARTS: [&str; 4] = ["server", "PostgreSQL", "Redis", "load generator"];

/// CPU ticks (user + system) per part.
pub type Ticks = [u64; 4];

fn part_of(comm: &str, pid: u32, own: u32) -> Option<usize> {
    match comm {
        _ if pid == own => Some(3),
        "api-server" => Some(0),
        "postgres" => Some(1),
        "redis-server" => Some(2),
        _ => None,
    }
}

/// Every part's CPU ticks so far.
pub fn now() -> Ticks {
    let mut ticks = [0; 4];
    let own = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return ticks;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ..." with comm possibly holding spaces: split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let Some(part) = part_of(&stat[open + 1..close], pid, own) else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the comm.
        let used = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        ticks[part] += used(11) + used(12);
    }
    ticks
}

pub fn since(before: Ticks) -> Ticks {
    let after = now();
    std::array::from_fn(|i| after[i].saturating_sub(before[i]))
}

/// "CPU per request: server 41 us, PostgreSQL 0 us, ..." for `requests` requests.
pub fn per_request(ticks: Ticks, requests: u64) -> Option<String> {
    if requests == 0 || ticks.iter().all(|t| *t == 0) {
        return None;
    }
    let us = |t: u64| t as f64 / TICKS_PER_SECOND * 1e6 / requests as f64;
    Some(format!(
        "CPU per request: {}",
        PARTS
            .iter()
            .zip(ticks)
            .map(|(name, t)| format!("{name} {:.0} us", us(t)))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
