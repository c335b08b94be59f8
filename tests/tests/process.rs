//! The `process_*` collector (feature `process`) against what the system reports about this
//! process through other means: `/proc/self/status`, `/proc/self/statm`, the directory of
//! open descriptors, the scheduler's count of this thread's CPU time, `ulimit -Sn` in a
//! child shell, the wall clock. Each value is also moved on purpose (threads started, files
//! opened, memory touched, CPU burned) and must move with it.
//!
//! One test in its own binary: no other test's threads or files come and go meanwhile.

#![cfg(target_os = "linux")]

use std::fs::File;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use promforge::{Error, Registry};
use promforge_tests::check_exposition;
use promforge_tests::exposition::Exposition;

const LABELS: &[(&str, &str)] = &[("service", "proc")];

fn value(e: &Exposition, name: &str) -> f64 {
    e.value(name, LABELS)
        .unwrap_or_else(|| panic!("{name}{{service=\"proc\"}} missing"))
}

fn status_threads() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .expect("Threads line");
    line.trim().parse().expect("thread count")
}

/// Open descriptors, counted as the collector counts them (the directory's own included).
fn fd_count() -> f64 {
    std::fs::read_dir("/proc/self/fd").expect("fd dir").count() as f64
}

/// (size, resident) in bytes, from `/proc/self/statm` (pages) and `getconf PAGESIZE`.
fn statm_bytes(page: f64) -> (f64, f64) {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let mut pages = statm
        .split_whitespace()
        .map(|p| p.parse::<f64>().expect("pages"));
    let size = pages.next().expect("size");
    let resident = pages.next().expect("resident");
    (size * page, resident * page)
}

fn command_output(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// CPU time this thread has run, from the scheduler (`/proc/thread-self/schedstat`, ns).
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("run time");
    Duration::from_nanos(ns)
}

#[test]
fn process_metrics_match_what_the_system_reports() {
    let test_start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let page: f64 = command_output("getconf", &["PAGESIZE"])
        .parse()
        .expect("page size");

    // The standard names: no registry prefix, the constant labels added.
    let r = Registry::builder()
        .prefix("app")
        .const_label("service", "proc")
        .build()
        .expect("registry");
    promforge::process::register(&r).expect("process collector");
    let again = promforge::process::register(&r);
    assert!(
        matches!(again, Err(Error::AlreadyRegistered { ref name, .. }) if name == "process_cpu_seconds_total"),
        "{again:?}"
    );

    let before = check_exposition(&r.render());
    let names: Vec<&str> = before.families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "process_cpu_seconds_total",
            "process_max_fds",
            "process_open_fds",
            "process_resident_memory_bytes",
            "process_start_time_seconds",
            "process_threads",
            "process_virtual_memory_bytes",
        ]
    );
    assert_eq!(
        before
            .family("process_cpu_seconds_total")
            .map(|f| f.kind.as_str()),
        Some("counter")
    );
    let cpu_before = value(&before, "process_cpu_seconds_total");

    // Move every value: three more threads, five more open files, 64 MiB touched,
    // at least 300 ms of CPU.
    let (stop, wait) = mpsc::channel::<()>();
    let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let wait = wait.clone();
            std::thread::spawn(move || {
                let _ = wait.lock().map(|w| w.recv());
            })
        })
        .collect();
    let files: Vec<File> = (0..5)
        .map(|_| File::open("/proc/self/status").expect("open"))
        .collect();
    let memory = std::hint::black_box(vec![1u8; 64 << 20]);
    let burn_start = thread_cpu();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut x = 0u64;
    while thread_cpu() - burn_start < Duration::from_millis(300) && Instant::now() < deadline {
        for i in 0..100_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    let burned = thread_cpu() - burn_start;

    let threads_now = status_threads();
    let fds_now = fd_count();
    let text = r.render();
    let (size, resident) = statm_bytes(page);
    let after = check_exposition(&text);

    assert_eq!(value(&after, "process_threads"), threads_now);
    assert_eq!(threads_now, value(&before, "process_threads") + 3.0);
    assert_eq!(value(&after, "process_open_fds"), fds_now);
    assert_eq!(fds_now, value(&before, "process_open_fds") + 5.0);

    let rss = value(&after, "process_resident_memory_bytes");
    assert!(
        (rss - resident).abs() <= 4.0 * 1024.0 * 1024.0,
        "{rss} vs {resident}"
    );
    let grown = rss - value(&before, "process_resident_memory_bytes");
    assert!(
        grown >= 60.0 * 1024.0 * 1024.0,
        "resident memory grew by {grown}"
    );
    let vsize = value(&after, "process_virtual_memory_bytes");
    assert!(
        (vsize - size).abs() <= 16.0 * 1024.0 * 1024.0,
        "{vsize} vs {size}"
    );
    assert!(vsize >= rss);

    let cpu = value(&after, "process_cpu_seconds_total");
    assert!(
        burned >= Duration::from_millis(300),
        "could not burn CPU: {burned:?}"
    );
    // The kernel accounts CPU in 10 ms ticks: allow one tick of rounding.
    assert!(
        cpu - cpu_before >= burned.as_secs_f64() - 0.011,
        "{cpu_before} -> {cpu}, burned {burned:?}"
    );

    let max = value(&after, "process_max_fds");
    let soft = command_output("sh", &["-c", "ulimit -Sn"]);
    assert_eq!(max.to_string(), soft, "ulimit -Sn says {soft}");

    // Started before this test, and not long before (`btime` is whole seconds).
    let started = value(&after, "process_start_time_seconds");
    assert!(
        started <= test_start + 0.5 && started > test_start - 300.0,
        "started at {started}, test started at {test_start}"
    );

    drop(files);
    drop(memory);
    drop(stop);
    for t in threads {
        t.join().expect("thread");
    }
    std::hint::black_box(x);
}
