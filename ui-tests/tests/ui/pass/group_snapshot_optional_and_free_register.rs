// An `Option` of a nested snapshot struct: `None` (a component that is not there) writes
// no series. `promforge::register_snapshot` finds the struct from an `Arc<Mutex<_>>`,
// an `Arc<RwLock<_>>` or an `Arc<_>` alone. A scale that is the reciprocal of a whole
// number divides, so the value prints as a person writes it.
use std::sync::{Arc, Mutex, RwLock};

use promforge::{MetricsGroup, Registry};

#[derive(MetricsGroup, Clone, Default)]
#[metrics(prefix = "cache", snapshot)]
struct CacheStats {
    /// Entries held.
    entries: u64,
}

#[derive(MetricsGroup, Clone, Default)]
#[metrics(prefix = "worker", snapshot)]
struct WorkerStats {
    /// Messages processed.
    #[metric(counter)]
    messages: u64,
    /// Average processing time.
    #[metric(name = "processing", unit = "seconds", scale = 0.000001)]
    processing_us: f64,
    /// Average wait.
    #[metric(name = "wait", unit = "seconds", scale = "1/1000")]
    wait_ms: f64,
    cache: Option<CacheStats>,
}

fn main() -> Result<(), promforge::Error> {
    let registry = Registry::new();
    let stats = Arc::new(Mutex::new(WorkerStats {
        messages: 2,
        processing_us: 250.5,
        wait_ms: 150.0,
        cache: None,
    }));
    promforge::register_snapshot(&registry, Arc::clone(&stats))?;
    let text = registry.render();
    assert!(text.contains("worker_messages_total 2\n"), "{text}");
    assert!(text.contains("worker_processing_seconds 0.0002505\n"), "{text}");
    assert!(text.contains("worker_wait_seconds 0.15\n"), "{text}");
    assert!(!text.contains("worker_cache_entries "), "{text}");
    if let Ok(mut stats) = stats.lock() {
        stats.cache = Some(CacheStats { entries: 7 });
    }
    let text = registry.render();
    assert!(text.contains("worker_cache_entries 7\n"), "{text}");

    let other = Registry::new();
    promforge::register_snapshot(&other, Arc::new(RwLock::new(WorkerStats::default())))?;
    let third = Registry::new();
    promforge::register_snapshot(&third, Arc::new(WorkerStats::default()))?;
    assert!(third.render().contains("worker_messages_total 0\n"));
    Ok(())
}
