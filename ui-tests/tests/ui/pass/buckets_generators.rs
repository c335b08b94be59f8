// Bucket bounds computed at compile time, in both attributes: `exponential(start, factor,
// count)` and `linear(start, width, count)` (each bound rounded to 15 significant digits,
// as `promforge::exponential_buckets` / `linear_buckets` round them), and the presets
// `latency` and `http` in a group too.
#![deny(warnings)]

use std::sync::LazyLock;

use promforge::{Histogram, MetricsGroup, Registry, instrument_metrics};

static R: LazyLock<Registry> = LazyLock::new(Registry::new);

#[derive(MetricsGroup)]
#[metrics(prefix = "gen")]
struct Generated {
    /// Exponential: 1 ms, 2 ms, … 512 ms.
    #[metric(unit = "seconds", buckets = exponential(0.001, 2.0, 10))]
    exponential: Histogram,
    /// Linear: 0.1 to 0.5.
    #[metric(unit = "seconds", buckets = linear(0.1, 0.1, 5))]
    linear: Histogram,
    /// The latency preset.
    #[metric(unit = "seconds", buckets = latency)]
    preset_latency: Histogram,
    /// The HTTP preset.
    #[metric(unit = "seconds", buckets = http)]
    preset_http: Histogram,
}

#[instrument_metrics(registry = R, name = "exp_fn", buckets = exponential(0.5, 1.5, 3))]
fn exp_fn() -> u8 {
    1
}

#[instrument_metrics(registry = R, name = "lin_fn", buckets = linear(-1, 0.25, 4))]
fn lin_fn() -> u8 {
    2
}

fn main() -> Result<(), promforge::Error> {
    let metrics = Generated::register(&R)?;
    assert_eq!(
        metrics.exponential.buckets(),
        promforge::exponential_buckets(0.001, 2.0, 10)?.as_slice()
    );
    assert_eq!(
        metrics.linear.buckets(),
        promforge::linear_buckets(0.1, 0.1, 5)?.as_slice()
    );
    assert_eq!(
        metrics.preset_latency.buckets(),
        promforge::instrument::BUCKETS_LATENCY
    );
    assert_eq!(metrics.preset_http.buckets(), promforge::instrument::BUCKETS_HTTP);
    assert_eq!(exp_fn() + lin_fn(), 3);

    let text = R.render();
    println!("{text}");
    let le = |family: &str, labels: &str, bounds: &[&str]| {
        for bound in bounds.iter().chain(&["+Inf"]) {
            let sample = format!("{family}_bucket{{{labels}le=\"{bound}\"}} ");
            assert!(text.contains(&sample), "missing {sample:?} in\n{text}");
        }
    };
    le(
        "gen_exponential_seconds",
        "",
        &[
            "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256",
            "0.512",
        ],
    );
    le("gen_linear_seconds", "", &["0.1", "0.2", "0.3", "0.4", "0.5"]);
    assert!(!text.contains("0.30000000000000004"));
    le("gen_preset_http_seconds", "", &["0.01", "0.025", "10"]);
    le("gen_preset_latency_seconds", "", &["0.001", "0.0025", "10"]);
    let module = module_path!();
    let fn_labels = |name: &str| format!("function=\"{name}\",module=\"{module}\",");
    le("exp_fn_duration_seconds", &fn_labels("exp_fn"), &["0.5", "0.75", "1.125"]);
    le("lin_fn_duration_seconds", &fn_labels("lin_fn"), &["-1", "-0.75", "-0.5", "-0.25"]);
    Ok(())
}
