// The runtime API a user writes without macros, with nothing but `promforge` as a dependency.
use promforge::{Counter, FloatCounter, FloatGauge, Gauge, Histogram, Registry};

fn main() -> Result<(), promforge::Error> {
    let registry = Registry::builder().prefix("app").build()?;
    let requests: Counter = registry.counter("requests", "Requests.")?;
    let seconds: FloatCounter = registry.float_counter("busy_seconds", "Busy time.")?;
    let depth: Gauge = registry.gauge("depth", "Depth.")?;
    let ratio: FloatGauge = registry.float_gauge("ratio", "Ratio.")?;
    let latency: Histogram = registry.histogram("latency_seconds", "Latency.", promforge::DEFAULT_BUCKETS)?;
    requests.inc();
    seconds.inc_by(0.5);
    depth.set(3);
    ratio.set(0.25);
    latency.observe(0.1);
    let _ = registry.render();
    Ok(())
}
