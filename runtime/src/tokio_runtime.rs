//! Tokio runtime metrics (feature `tokio-runtime`): workers, alive tasks, global queue
//! depth, and the event-loop lag measured by a periodic probe task.

use std::time::{Duration, Instant};

use crate::collector::{Collector, CollectorEncoder, FamilyDesc};
use crate::encoding::MetricType;
use crate::error::Error;
use crate::metrics::Histogram;
use crate::registry::Registry;

/// Lag buckets, in seconds: 100 µs to 5 s.
pub const LAG_BUCKETS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

struct RuntimeCollector {
    handle: tokio::runtime::Handle,
}

impl Collector for RuntimeCollector {
    fn families(&self) -> Vec<FamilyDesc> {
        vec![
            FamilyDesc::new(
                "tokio_workers",
                "Worker threads of the tokio runtime.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "tokio_alive_tasks",
                "Tasks alive in the tokio runtime.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "tokio_global_queue_depth",
                "Tasks waiting in the tokio runtime's global queue.",
                MetricType::Gauge,
            ),
        ]
    }

    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        let metrics = self.handle.metrics();
        out.sample(0, "", metrics.num_workers() as u64);
        out.sample(1, "", metrics.num_alive_tasks() as u64);
        out.sample(2, "", metrics.global_queue_depth() as u64);
    }
}

/// The probe measuring event-loop lag; stops when dropped or [`stop`](Self::stop)ped.
#[derive(Debug)]
pub struct LagProbe {
    task: tokio::task::JoinHandle<()>,
}

impl LagProbe {
    /// Stops the probe.
    pub fn stop(self) {}
}

impl Drop for LagProbe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Registers `tokio_workers`, `tokio_alive_tasks`, `tokio_global_queue_depth` (read from
/// `handle` at scrape time) and `tokio_event_loop_lag_seconds`: a probe task on `handle`
/// sleeps `interval` again and again and records how much later than asked it woke up —
/// the time ready tasks wait for a worker. Keep the returned probe alive.
pub fn register(
    registry: &Registry,
    handle: &tokio::runtime::Handle,
    interval: Duration,
) -> Result<LagProbe, Error> {
    let lag = Histogram::with_buckets(LAG_BUCKETS)?;
    registry.register(
        "tokio_event_loop_lag_seconds",
        "How much later than scheduled a periodic probe task woke up, in seconds.",
        lag.clone(),
    )?;
    registry.register_collector(RuntimeCollector {
        handle: handle.clone(),
    })?;
    let interval = interval.max(Duration::from_millis(1));
    let task = handle.spawn(async move {
        loop {
            let start = Instant::now();
            tokio::time::sleep(interval).await;
            lag.observe_duration(start.elapsed().saturating_sub(interval));
        }
    });
    Ok(LagProbe { task })
}
