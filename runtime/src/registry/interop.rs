//! Interop with the `prometheus` crate (feature `prometheus-interop`): families of a
//! `prometheus::Registry` rendered after promforge's own.

use std::collections::HashSet;

use super::{Registry, State};

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

    /// Appends the families of the included registries that promforge does not serve.
    pub(super) fn render_foreign(&self, state: &State, buf: &mut Vec<u8>) {
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
