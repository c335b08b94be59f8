// `#[instrument_metrics(name = "…", summary)]`: the function's durations go in a summary
// (`<name>_duration_seconds{function, module, quantile}`, `_sum`, `_count`) instead of a
// histogram, with the default quantiles or those of `summary(quantiles = …, max_age = …,
// age_buckets = …)`; calls and in-flight are recorded as usual.
#![deny(warnings)]

use std::sync::LazyLock;

use promforge::{Registry, instrument_metrics};

static R: LazyLock<Registry> = LazyLock::new(Registry::new);

#[instrument_metrics(registry = R, name = "checksum", summary)]
fn checksum(data: &[u8]) -> u32 {
    data.iter().map(|&b| u32::from(b)).sum()
}

#[instrument_metrics(
    registry = R,
    name = "lookup",
    summary(quantiles = [0.5, 0.9, 0.999], max_age = "2m", age_buckets = 4)
)]
async fn lookup(key: &str) -> Result<usize, std::fmt::Error> {
    if key.is_empty() {
        return Err(std::fmt::Error);
    }
    Ok(key.len())
}

struct Cache;

#[instrument_metrics(registry = R, prefix = "cache", name = "get", summary(max_age = "30s"))]
impl Cache {
    fn get(&self, key: u32) -> Option<u32> {
        key.checked_mul(2)
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

fn main() {
    assert_eq!(checksum(b"abc"), 294);
    assert_eq!(checksum(b""), 0);
    assert_eq!(block_on(lookup("key")), Ok(3));
    assert!(block_on(lookup("")).is_err());
    assert_eq!(Cache.get(21), Some(42));

    let text = R.render();
    let module = module_path!();
    let series = format!("function=\"checksum\",module=\"{module}\"");
    for expected in [
        "# TYPE checksum_duration_seconds summary\n".to_owned(),
        format!("checksum_duration_seconds{{{series},quantile=\"0.5\"}} "),
        format!("checksum_duration_seconds{{{series},quantile=\"0.95\"}} "),
        format!("checksum_duration_seconds_count{{{series}}} 2\n"),
        format!("checksum_calls_total{{{series},result=\"ok\",error=\"\"}} 2\n"),
        "# TYPE lookup_duration_seconds summary\n".to_owned(),
        "quantile=\"0.999\"} ".to_owned(),
        format!("lookup_duration_seconds_count{{function=\"lookup\",module=\"{module}\"}} 2\n"),
        format!(
            "lookup_calls_total{{function=\"lookup\",module=\"{module}\",result=\"error\",\
             error=\"\"}} 1\n"
        ),
        "# TYPE cache_get_duration_seconds summary\n".to_owned(),
        format!("cache_get_duration_seconds_count{{function=\"Cache::get\",module=\"{module}\"}} 1\n"),
        format!("cache_get_in_flight{{function=\"Cache::get\",module=\"{module}\"}} 0\n"),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("_bucket"), "no histogram:\n{text}");
    // `lookup` reports the quantiles it names, not the defaults.
    assert!(!text.contains(&format!(
        "lookup_duration_seconds{{function=\"lookup\",module=\"{module}\",quantile=\"0.95\"}}"
    )));
}
