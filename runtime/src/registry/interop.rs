//! Interop with the `prometheus` crate (feature `prometheus-interop`): families of a
//! `prometheus::Registry` rendered after promforge's own.

use std::collections::HashSet;

use prometheus::proto::{MetricFamily, MetricType as ForeignType};

use super::{Registry, State};
use crate::encoding::{
    BucketLabels, ExpositionWriter, FamilyMeta, MetricType, QuantileLabels, push_label_pair,
};

impl Registry {
    /// Renders the families of an existing `prometheus::Registry` after promforge's own on
    /// every scrape, with this registry's constant labels added (interop with code that
    /// already uses the `prometheus` crate). A family whose name promforge already serves
    /// is left out, so every name keeps a single `# TYPE`.
    #[cfg_attr(docsrs, doc(cfg(feature = "prometheus-interop")))]
    pub fn include_prometheus_registry(&self, registry: prometheus::Registry) {
        self.write_state().foreign.push(registry);
    }

    /// The names of the families of included `prometheus::Registry`s (gathered now).
    #[cfg_attr(docsrs, doc(cfg(feature = "prometheus-interop")))]
    pub fn foreign_family_names(&self) -> Vec<String> {
        self.read_state()
            .foreign
            .iter()
            .flat_map(|r| r.gather())
            .map(|f| f.name().to_owned())
            .collect()
    }

    /// Appends the families of the included registries that promforge does not serve: in
    /// the text format as the `prometheus` crate writes it, in OpenMetrics through
    /// promforge's own encoder (a counter whose name lacks `_total` gets it there, as
    /// OpenMetrics requires).
    pub(super) fn render_foreign(&self, state: &State, out: &mut ExpositionWriter<'_>) {
        use prometheus::Encoder as _;
        let mut seen: HashSet<String> = state.sample_names.clone();
        let mut families = Vec::new();
        for registry in &state.foreign {
            for mut family in registry.gather() {
                if !seen.insert(family.name().to_owned()) {
                    continue;
                }
                if !self.inner.const_labels.is_empty() {
                    for metric in family.mut_metric() {
                        let mut labels = metric.get_label().to_vec();
                        for (name, value) in &self.inner.const_labels {
                            if labels.iter().any(|l| l.name() == name) {
                                continue;
                            }
                            let mut pair = prometheus::proto::LabelPair::default();
                            pair.set_name(name.clone());
                            pair.set_value(value.clone());
                            labels.push(pair);
                        }
                        metric.set_label(labels);
                    }
                }
                families.push(family);
            }
        }
        if out.format().0.format.is_openmetrics() {
            for family in &families {
                openmetrics_family(family, &self.inner.const_labels, out);
            }
            return;
        }
        // The protobuf format has no room for text families: they are left out there.
        let Some(buf) = out.text_buffer() else {
            return;
        };
        // Encoding into a Vec cannot fail for I/O reasons; a family the encoder refuses
        // is skipped rather than breaking the whole scrape.
        let encoder = prometheus::TextEncoder::new();
        for family in families {
            let mut one = Vec::new();
            if encoder
                .encode(std::slice::from_ref(&family), &mut one)
                .is_ok()
            {
                buf.extend_from_slice(&one);
            }
        }
    }
}

/// Writes a family of the `prometheus` crate through promforge's encoder (OpenMetrics).
/// The constant labels (added to the family's series above) are left to the writer.
fn openmetrics_family(
    family: &MetricFamily,
    const_labels: &[(String, String)],
    out: &mut ExpositionWriter<'_>,
) {
    let name = family.name();
    let (metric_type, full) = match family.get_field_type() {
        ForeignType::COUNTER if !name.ends_with("_total") => {
            (MetricType::Counter, format!("{name}_total"))
        }
        ForeignType::COUNTER => (MetricType::Counter, name.to_owned()),
        ForeignType::GAUGE => (MetricType::Gauge, name.to_owned()),
        ForeignType::SUMMARY => (MetricType::Summary, name.to_owned()),
        ForeignType::HISTOGRAM => (MetricType::Histogram, name.to_owned()),
        ForeignType::UNTYPED => (MetricType::Untyped, name.to_owned()),
    };
    let help = family.help();
    let meta = FamilyMeta::new(full, if help.is_empty() { name } else { help }, metric_type);
    let mut encoder = out.family(&meta);
    for metric in family.get_metric() {
        let mut labels = String::new();
        let own = metric
            .get_label()
            .iter()
            .filter(|pair| !const_labels.iter().any(|(name, _)| name == pair.name()));
        for pair in own {
            push_label_pair(&mut labels, pair.name(), pair.value());
        }
        let mut series = encoder.with_labels(&labels);
        match metric_type {
            MetricType::Counter => series.counter(metric.get_counter().get_value()),
            MetricType::Gauge => series.gauge(metric.get_gauge().get_value()),
            MetricType::Summary => {
                let summary = metric.get_summary();
                let quantiles: Vec<f64> = summary
                    .get_quantile()
                    .iter()
                    .map(|q| q.quantile())
                    .collect();
                series.summary(
                    &QuantileLabels::new(&quantiles),
                    summary.get_quantile().iter().map(|q| q.value()),
                    summary.sample_sum(),
                    summary.sample_count(),
                );
            }
            MetricType::Histogram => {
                let histogram = metric.get_histogram();
                let buckets = histogram.get_bucket();
                let bounds: Vec<f64> = buckets
                    .iter()
                    .map(|b| b.upper_bound())
                    .filter(|b| b.is_finite())
                    .collect();
                // Cumulative counts back to per-bucket ones, `+Inf` (the count) last.
                let mut previous = 0u64;
                let mut counts: Vec<u64> = buckets
                    .iter()
                    .filter(|b| b.upper_bound().is_finite())
                    .map(|b| {
                        let c = b.cumulative_count().saturating_sub(previous);
                        previous = b.cumulative_count();
                        c
                    })
                    .collect();
                counts.push(histogram.get_sample_count().saturating_sub(previous));
                series.histogram(
                    &BucketLabels::new(&bounds),
                    counts,
                    histogram.get_sample_sum(),
                );
            }
            // The `prometheus` crate makes no untyped metrics; its own text encoder reads
            // them the same way.
            #[allow(deprecated)]
            _ => series.untyped(metric.get_untyped().get_value()),
        }
    }
}
