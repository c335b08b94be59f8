//! The standard `process_*` metrics (feature `process`), read from `/proc` at every scrape,
//! with the names and meanings of the Go client (`client_golang`) and the `prometheus` crate:
//!
//! | family | type | source |
//! |---|---|---|
//! | `process_cpu_seconds_total` | counter | user + system CPU time, `/proc/self/stat` |
//! | `process_max_fds` | gauge | soft limit of open files, `/proc/self/limits` |
//! | `process_open_fds` | gauge | entries of `/proc/self/fd` |
//! | `process_resident_memory_bytes` | gauge | `VmRSS`, `/proc/self/status` |
//! | `process_start_time_seconds` | gauge | start time (Unix seconds), `/proc/self/stat` and the boot time in `/proc/stat` |
//! | `process_threads` | gauge | OS threads, `/proc/self/stat` |
//! | `process_virtual_memory_bytes` | gauge | virtual memory size, `/proc/self/stat` |
//!
//! No dependency and no `unsafe`: the files are read and parsed as text. A file that is
//! missing or does not parse leaves its metrics out of that scrape (an unlimited number
//! of open files leaves out `process_max_fds`), never fails the scrape.
//!
//! **Linux only.** On other systems [`register`] registers nothing and returns `Ok(())`,
//! so a program can call it unconditionally.
//!
//! ```
//! # fn main() -> Result<(), promforge::Error> {
//! let registry = promforge::Registry::new();
//! promforge::process::register(&registry)?;
//! # #[cfg(target_os = "linux")]
//! assert!(registry.render().contains("\nprocess_threads "));
//! # Ok(()) }
//! ```

use std::fs;

use crate::collector::{Collector, CollectorEncoder, FamilyDesc};
use crate::encoding::MetricType;
use crate::error::Error;
use crate::registry::Registry;

/// The unit of the CPU times and start time in `/proc/<pid>/stat`: `USER_HZ` ticks per
/// second, 100 in the kernel's user-space ABI of every current architecture (the Go
/// client's `procfs` assumes the same; `sysconf(_SC_CLK_TCK)` would need `unsafe`).
const USER_HZ: f64 = 100.0;

// Family indices, in the order of `families()` (by name, as the Go client writes them).
const CPU: usize = 0;
const MAX_FDS: usize = 1;
const OPEN_FDS: usize = 2;
const RESIDENT: usize = 3;
const START_TIME: usize = 4;
const THREADS: usize = 5;
const VIRTUAL: usize = 6;

/// Adds the `process_*` families of this process to `registry`: the standard names,
/// without the registry's prefix, with its constant labels. Registering them twice (or in
/// a registry where one of the names is taken) is an [`Error::AlreadyRegistered`].
/// On systems other than Linux, registers nothing and returns `Ok(())`.
pub fn register(registry: &Registry) -> Result<(), Error> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    registry.register_unprefixed_collector(ProcessCollector::new())?;
    Ok(())
}

/// Reads this process's `/proc` files at every scrape.
struct ProcessCollector {
    /// Fixed for the life of the process: read once.
    start_time: Option<f64>,
}

impl ProcessCollector {
    fn new() -> Self {
        let start_ticks = read("/proc/self/stat").and_then(|s| Stat::parse(&s).start_ticks);
        let boot_time = read("/proc/stat").and_then(|s| boot_time(&s));
        Self {
            start_time: start_ticks
                .zip(boot_time)
                .map(|(ticks, boot)| boot as f64 + ticks as f64 / USER_HZ),
        }
    }
}

impl Collector for ProcessCollector {
    fn families(&self) -> Vec<FamilyDesc> {
        vec![
            FamilyDesc::new(
                "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds.",
                MetricType::Counter,
            ),
            FamilyDesc::new(
                "process_max_fds",
                "Maximum number of open file descriptors.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "process_open_fds",
                "Number of open file descriptors.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "process_threads",
                "Number of OS threads in the process.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                MetricType::Gauge,
            ),
        ]
    }

    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        if let Some(stat) = read("/proc/self/stat").map(|s| Stat::parse(&s)) {
            if let Some(ticks) = stat.cpu_ticks {
                out.sample(CPU, "", ticks as f64 / USER_HZ);
            }
            if let Some(threads) = stat.threads {
                out.sample(THREADS, "", threads);
            }
            if let Some(bytes) = stat.virtual_bytes {
                out.sample(VIRTUAL, "", bytes);
            }
        }
        if let Some(max) = read("/proc/self/limits").and_then(|s| max_open_files(&s)) {
            out.sample(MAX_FDS, "", max);
        }
        if let Ok(entries) = fs::read_dir("/proc/self/fd") {
            // Counts the descriptor reading the directory too, as the Go client does.
            let open = entries.filter(Result::is_ok).count() as u64;
            out.sample(OPEN_FDS, "", open);
        }
        if let Some(kib) = read("/proc/self/status").and_then(|s| status_kib(&s, "VmRSS:")) {
            out.sample(RESIDENT, "", kib.saturating_mul(1024));
        }
        if let Some(start) = self.start_time {
            out.sample(START_TIME, "", start);
        }
    }
}

fn read(path: &str) -> Option<String> {
    fs::read_to_string(path).ok()
}

/// The fields of `/proc/<pid>/stat` the collector uses (`proc_pid_stat(5)`).
#[derive(Debug, Default, PartialEq)]
struct Stat {
    /// `utime` + `stime`, in `USER_HZ` ticks.
    cpu_ticks: Option<u64>,
    threads: Option<u64>,
    /// `starttime`: ticks after boot.
    start_ticks: Option<u64>,
    virtual_bytes: Option<u64>,
}

impl Stat {
    fn parse(text: &str) -> Self {
        // `pid (comm) state ppid …`: `comm` may hold spaces and parentheses, so the
        // fields start after the last `)`. Field 3 (`state`) is index 0 from there.
        let Some((_, rest)) = text.rsplit_once(')') else {
            return Self::default();
        };
        let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
        Self {
            cpu_ticks: field(14)
                .zip(field(15))
                .map(|(user, system)| user.saturating_add(system)),
            threads: field(20),
            start_ticks: field(22),
            virtual_bytes: field(23),
        }
    }
}

/// `btime` of `/proc/stat`: the boot time, in Unix seconds.
fn boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// The soft limit on the line `Max open files` of `/proc/<pid>/limits` (`None` when
/// `unlimited`).
fn max_open_files(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_ascii_whitespace().next())
        .and_then(|soft| soft.parse().ok())
}

/// A `Key:   1234 kB` line of `/proc/<pid>/status`, in KiB.
fn status_kib(text: &str, key: &str) -> Option<u64> {
    let rest = text.lines().find_map(|line| line.strip_prefix(key))?;
    let mut words = rest.split_ascii_whitespace();
    let value = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 2920 0 0 0 \
                        150 45 0 0 20 0 7 0 123456 987654321 2048 18446744073709551615 1 1 0 0 \
                        0 0 0 4096 17664 0 0 0 17 1 0 0 0 0 0\n";

    #[test]
    fn stat_fields_after_the_command_name() {
        assert_eq!(
            Stat::parse(STAT),
            Stat {
                cpu_ticks: Some(195),
                threads: Some(7),
                start_ticks: Some(123_456),
                virtual_bytes: Some(987_654_321),
            }
        );
    }

    #[test]
    fn odd_stat_text_gives_no_values() {
        assert_eq!(Stat::parse(""), Stat::default());
        assert_eq!(Stat::parse("12 (cut short) S 1 2"), Stat::default());
        let garbled = STAT.replace(" 150 ", " x ");
        let stat = Stat::parse(&garbled);
        assert_eq!(stat.cpu_ticks, None);
        assert_eq!(stat.threads, Some(7));
    }

    #[test]
    fn limits_status_and_boot_time() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(max_open_files(limits), Some(1024));
        assert_eq!(max_open_files(&limits.replace("1024 ", "unlimited ")), None);
        assert_eq!(max_open_files("garbage"), None);

        let status = "Name:\tcat\nVmPeak:\t    8000 kB\nVmRSS:\t    1234 kB\nThreads:\t1\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(1234));
        assert_eq!(status_kib("VmRSS:\t12 pages\n", "VmRSS:"), None);
        assert_eq!(status_kib("Name:\tkthreadd\n", "VmRSS:"), None);

        assert_eq!(
            boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"),
            Some(1_700_000_000)
        );
        assert_eq!(boot_time("cpu  1 2 3\n"), None);
    }
}
