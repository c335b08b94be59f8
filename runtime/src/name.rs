//! Prometheus naming rules, checked at run time. The rules themselves are in `promforge-rules`,
//! which the macros call too, so a name the compiler accepts is one the registry accepts.

use crate::error::Error;

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn check_metric_name(name: &str) -> Result<(), Error> {
    promforge_rules::check_metric_name(name).map_err(|e| Error::InvalidMetricName {
        name: name.to_owned(),
        reason: e.reason(),
    })
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`
/// (reserved for Prometheus' own use).
pub fn check_label_name(name: &str) -> Result<(), Error> {
    promforge_rules::check_label_name(name).map_err(|e| label_error(name, e))
}

/// Like [`check_label_name`], and also refuses `le` and `quantile`, which histograms and
/// summaries write themselves.
pub fn check_user_label_name(name: &str) -> Result<(), Error> {
    promforge_rules::check_user_label_name(name).map_err(|e| label_error(name, e))
}

/// Checks a metric name under UTF-8 names (a registry's `utf8_names`): any non-empty name.
pub(crate) fn check_utf8_metric_name(name: &str) -> Result<(), Error> {
    promforge_rules::check_utf8_metric_name(name).map_err(|e| Error::InvalidMetricName {
        name: name.to_owned(),
        reason: e.reason(),
    })
}

/// Checks a label a user names under UTF-8 names: non-empty, not `__…`, `le` or `quantile`.
pub(crate) fn check_utf8_user_label_name(name: &str) -> Result<(), Error> {
    promforge_rules::check_utf8_user_label_name(name).map_err(|e| label_error(name, e))
}

fn label_error(name: &str, e: promforge_rules::LabelNameError) -> Error {
    Error::InvalidLabelName {
        name: name.to_owned(),
        reason: e.reason(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::StateSet;
    use crate::registry::{Registry, RegistryBuilder};
    use promforge_rules::table::{COUNTERS, JOINS, NAMES};

    /// The shared table (`promforge_rules::table`), through the runtime's entry points: the
    /// macros' tests run the same table through the derives and the attribute.
    #[test]
    fn the_shared_name_table() {
        let registry = Registry::new();
        for (i, case) in NAMES.iter().enumerate() {
            let name = case.name;
            let metric = check_metric_name(name);
            assert_eq!(metric.is_ok(), case.metric, "metric name {name:?}");
            if !case.metric {
                assert!(
                    matches!(metric, Err(Error::InvalidMetricName { .. })),
                    "{metric:?}"
                );
            }
            // A registration checks the same way (a distinct help keeps names apart).
            let registered = registry.gauge(name, "A gauge.");
            assert_eq!(registered.is_ok(), case.metric, "gauge {name:?}");
            if let Err(e) = registered {
                assert!(matches!(e, Error::InvalidMetricName { .. }), "{e:?}");
            }

            let label = check_label_name(name);
            assert_eq!(label.is_ok(), case.label, "label name {name:?}");
            let user = RegistryBuilder::default()
                .const_label(name, "v")
                .build()
                .map(drop);
            assert_eq!(user.is_ok(), case.user_label, "const label {name:?}");
            let state = StateSet::<bool>::new(name).map(drop);
            assert_eq!(state.is_ok(), case.user_label, "state label {name:?}");
            for refused in [user, state, label.map(drop)]
                .into_iter()
                .filter_map(Result::err)
            {
                assert!(
                    matches!(refused, Error::InvalidLabelName { .. }),
                    "{i}: {refused:?}"
                );
            }
        }
    }

    /// The table's joins through what a group's generated code calls, and its counter
    /// names through the registry (which adds `_total`).
    #[test]
    fn the_shared_join_and_counter_tables() {
        for &(prefix, name, joined) in JOINS {
            assert_eq!(
                crate::__private::group::join_name(prefix, name),
                joined,
                "{prefix:?} + {name:?}"
            );
        }
        for &(name, exposed) in COUNTERS {
            let registry = Registry::new();
            registry.counter(name, "A counter.").expect("a valid name");
            assert!(
                registry
                    .render()
                    .contains(&format!("# TYPE {exposed} counter\n")),
                "{name} → {exposed}"
            );
        }
    }
}
