//! System CPU and memory (feature `system`, via `sysinfo`), refreshed by a background
//! thread on an interval — never on the scrape's path. Names as origin 004:
//! `system_cpu_usage_percent{cpu="cpu0"|…|"total"}`,
//! `system_memory_usage_bytes{type="used"|"available"}`, `system_memory_total_bytes{type="total"}`.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use crate::collector::{Collector, CollectorEncoder, FamilyDesc};
use crate::encoding::{MetricType, push_label_pair};
use crate::error::Error;
use crate::registry::Registry;

#[derive(Default)]
struct Readings {
    /// (`cpu="cpu0"` rendered, usage percent); the last one is `total`.
    cpus: Vec<(String, f64)>,
    used: u64,
    available: u64,
    total: u64,
}

struct SystemCollector {
    readings: Arc<Mutex<Readings>>,
}

impl Collector for SystemCollector {
    fn families(&self) -> Vec<FamilyDesc> {
        vec![
            FamilyDesc::new(
                "system_cpu_usage_percent",
                "CPU usage, per core and in total, in percent.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "system_memory_usage_bytes",
                "Memory used and available, in bytes.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "system_memory_total_bytes",
                "Total memory, in bytes.",
                MetricType::Gauge,
            ),
        ]
    }

    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        let r = self.readings.lock().unwrap_or_else(PoisonError::into_inner);
        if r.total == 0 {
            return; // no reading yet
        }
        for (labels, usage) in &r.cpus {
            out.sample(0, labels, *usage);
        }
        out.sample(1, "type=\"used\"", r.used);
        out.sample(1, "type=\"available\"", r.available);
        out.sample(2, "type=\"total\"", r.total);
    }
}

fn refresh(system: &mut sysinfo::System, readings: &Mutex<Readings>) {
    system.refresh_cpu_usage();
    system.refresh_memory();
    let mut cpus: Vec<(String, f64)> = system
        .cpus()
        .iter()
        .enumerate()
        .map(|(i, cpu)| {
            let mut labels = String::new();
            push_label_pair(&mut labels, "cpu", &format!("cpu{i}"));
            (labels, f64::from(cpu.usage()))
        })
        .collect();
    cpus.push((
        "cpu=\"total\"".to_owned(),
        f64::from(system.global_cpu_usage()),
    ));
    let mut r = readings.lock().unwrap_or_else(PoisonError::into_inner);
    r.cpus = cpus;
    r.total = system.total_memory();
    r.used = system.used_memory();
    r.available = system.available_memory();
}

/// Registers the system collector and starts its refresh thread (every `interval`, at
/// least 250 ms; the first reading is taken before this returns). The thread ends when the
/// registry (and so the collector) is dropped.
pub fn register(registry: &Registry, interval: Duration) -> Result<(), Error> {
    let interval = interval.max(Duration::from_millis(250));
    let readings = Arc::new(Mutex::new(Readings::default()));
    let mut system = sysinfo::System::new().map_err(|e| Error::Integration {
        what: "system collector",
        reason: e.to_string(),
    })?;
    // CPU usage is a difference between two refreshes.
    system.refresh_cpu_usage();
    std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
    refresh(&mut system, &readings);
    registry.register_collector(SystemCollector {
        readings: Arc::clone(&readings),
    })?;
    let weak: Weak<Mutex<Readings>> = Arc::downgrade(&readings);
    drop(readings);
    std::thread::Builder::new()
        .name("promforge-system".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                let Some(readings) = weak.upgrade() else {
                    return;
                };
                refresh(&mut system, &readings);
            }
        })?;
    Ok(())
}
