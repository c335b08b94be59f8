//! The standard `process_*` metrics (feature `process`, Linux), from the `prometheus`
//! crate's process collector: `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
//! `process_threads`, `process_start_time_seconds`.

use crate::Error;
use crate::registry::Registry;

/// Adds the process collector of this process to `registry` (the standard names, without
/// the registry's prefix, with its constant labels). Registering it twice is an error.
pub fn register(registry: &Registry) -> Result<(), Error> {
    if registry
        .family_names()
        .iter()
        .chain(registry.foreign_family_names().iter())
        .any(|n| n == "process_cpu_seconds_total")
    {
        return Err(Error::AlreadyRegistered {
            name: "process_cpu_seconds_total".into(),
            clashes_with: None,
        });
    }
    let own = prometheus::Registry::new();
    own.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))
    .map_err(|e| Error::Integration {
        what: "process collector",
        reason: e.to_string(),
    })?;
    registry.include_prometheus_registry(own);
    Ok(())
}
