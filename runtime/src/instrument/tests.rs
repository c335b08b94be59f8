use std::time::Duration;

use std::sync::atomic::Ordering;

use super::guard::CallGuard;
use super::outcome::*;
use super::shared::*;
use super::site::*;
use crate::error::Error;
use crate::family::Family;
use crate::labels::LabelSet;
use crate::metrics::{Counter, SummaryOptions};
use crate::registry::Registry;

const fn config(name: &'static str, summary: Option<SummaryOptions>) -> SiteConfig {
    SiteConfig {
        function: "f",
        module: "m",
        prefix: "",
        name: Some(name),
        buckets: &[0.5, 1.0],
        summary,
        native: NativeChoice::Registry,
        calls: true,
        duration: true,
        in_flight: true,
        exemplars: true,
    }
}

/// Past 1,000 functions (the default cardinality limit), durations and in-flight
/// counts of later functions still get series of their own, like their calls.
#[test]
fn the_shared_families_hold_as_many_functions_as_each_other() {
    let registry = Registry::new();
    for i in 0..1_200 {
        let function: &'static str = Box::leak(format!("f{i}").into_boxed_str());
        let site: &'static Site = Box::leak(Box::new(Site::new(SiteConfig {
            function,
            ..config("many", None)
        })));
        site.start_in(&registry).finish(Outcome::Ok);
    }
    let text = registry.render();
    assert!(!text.contains("__overflow__"), "{text}");
    for family in [
        "many_calls_total",
        "many_duration_seconds_count",
        "many_in_flight",
    ] {
        assert!(
            text.contains(&format!("{family}{{function=\"f1199\",module=\"m\"")),
            "{family}"
        );
    }
}

/// A site records in the registry of its first call; a call naming another one is
/// recorded there too, and reported (once).
#[test]
fn a_site_stays_bound_to_its_first_registry() {
    static BOUND: Site = Site::new(config("bound", None));
    let first = Registry::new();
    let second = Registry::new();
    BOUND.start_in(&first).finish(Outcome::Ok);
    assert!(!BOUND.other_registry_reported.load(Ordering::Relaxed));
    BOUND.start_in(&second).finish(Outcome::Ok);
    assert!(BOUND.other_registry_reported.load(Ordering::Relaxed));
    assert!(
        first.render().contains(
            "bound_calls_total{function=\"f\",module=\"m\",result=\"ok\",error=\"\"} 2\n"
        )
    );
    assert!(!second.render().contains("bound_calls_total"));
}

#[test]
fn labeled_sites_sharing_a_name_must_take_the_same_labels() {
    #[derive(crate::LabelSet)]
    struct A {
        key: &'static str,
    }
    #[derive(crate::LabelSet)]
    struct B {
        other: &'static str,
    }
    let registry = Registry::new();
    let shared = shared_families(&config("shared_labeled", None), &registry);
    let (a1, a2, b) = (
        Family::<A, Counter>::new(),
        Family::<A, Counter>::new(),
        Family::<B, Counter>::new(),
    );
    a1.inc(&A { key: "x" });
    a2.inc(&A { key: "y" });
    b.inc(&B { other: "z" });
    assert!(shared.add_labeled(A::NAMES, Box::new(a1)).is_ok());
    assert!(shared.add_labeled(A::NAMES, Box::new(a2)).is_ok());
    match shared.add_labeled(B::NAMES, Box::new(b)) {
        Err(Error::Integration { reason, .. }) => {
            assert!(reason.contains("shared_labeled_calls_total"), "{reason}");
            assert!(reason.contains("key and other"), "{reason}");
        }
        other => panic!("expected a label mismatch, got {other:?}"),
    }
    let text = registry.render();
    assert_eq!(
        text.matches("# TYPE shared_labeled_calls_total counter")
            .count(),
        1
    );
    assert!(
        text.contains("shared_labeled_calls_total{key=\"x\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("shared_labeled_calls_total{key=\"y\"} 1\n"),
        "{text}"
    );
    assert!(!text.contains("other=\"z\""), "{text}");
}

static HISTOGRAM_SITE: Site = Site::new(config("timed_by_histogram", None));
static SUMMARY_SITE: Site = Site::new(config(
    "timed_by_summary",
    Some(
        SummaryOptions::new()
            .quantiles(&[0.5, 0.99])
            .max_age(Duration::from_secs(60))
            .age_buckets(2),
    ),
));

static FULL_SITE: Site = Site::new(config("families_full", None));
static THREADED_SITE: Site = Site::new(config("threaded", None));

#[test]
fn a_site_past_the_families_limits_counts_in_their_overflow_series() {
    let registry = Registry::new();
    let shared = shared_families(&config("families_full", None), &registry);
    let DurationFamily::Histogram(duration, _) = &shared.duration else {
        unreachable!("a histogram site")
    };
    // Full before the site's first call: its series are the overflow series.
    let _ = duration.clone().with_cardinality_limit(0);
    let _ = shared.in_flight.clone().with_cardinality_limit(0);
    let _ = shared.calls.clone().with_cardinality_limit(0);
    FULL_SITE.start_in(&registry).finish(Outcome::Ok);
    drop(FULL_SITE.start_in(&registry)); // cancelled
    let text = registry.render();
    let overflow = "function=\"__overflow__\",module=\"__overflow__\"";
    assert!(
        text.contains(&format!(
            "families_full_duration_seconds_count{{{overflow}}} 2\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("families_full_in_flight{{{overflow}}} 0\n")),
        "{text}"
    );
    let calls = format!(
        "families_full_calls_total{{{overflow},result=\"__overflow__\",error=\"__overflow__\"}} 2\n"
    );
    assert!(text.contains(&calls), "{text}");
    // The overflow counter counts the updates that landed there, not the lookups.
    for (family, updates) in [
        ("families_full_duration_seconds", 2),
        ("families_full_in_flight", 4),
        ("families_full_calls_total", 2),
    ] {
        let line =
            format!("promforge_cardinality_overflow_total{{metric=\"{family}\"}} {updates}\n");
        assert!(text.contains(&line), "{line}{text}");
    }
}

#[test]
fn calls_started_and_ended_on_different_threads_leave_none_in_flight() {
    let registry = Registry::new();
    let guards: Vec<CallGuard> = (0..8).map(|_| THREADED_SITE.start_in(&registry)).collect();
    assert!(
        registry
            .render()
            .contains("threaded_in_flight{function=\"f\",module=\"m\"} 8\n")
    );
    std::thread::scope(|s| {
        for guard in guards {
            s.spawn(move || guard.finish(Outcome::Ok));
        }
    });
    let text = registry.render();
    assert!(
        text.contains("threaded_in_flight{function=\"f\",module=\"m\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "threaded_calls_total{function=\"f\",module=\"m\",result=\"ok\",error=\"\"} 8\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("threaded_duration_seconds_count{function=\"f\",module=\"m\"} 8\n"),
        "{text}"
    );
}

#[test]
fn durations_go_in_a_histogram_or_a_summary() {
    let registry = Registry::new();
    HISTOGRAM_SITE.start_in(&registry).finish(Outcome::Ok);
    SUMMARY_SITE.start_in(&registry).finish(Outcome::Ok);
    SUMMARY_SITE.start_in(&registry).finish(Outcome::Error);
    let text = registry.render();
    assert!(
        text.contains("# TYPE timed_by_histogram_duration_seconds histogram\n"),
        "{text}"
    );
    assert!(text.contains(
        "timed_by_histogram_duration_seconds_bucket{function=\"f\",module=\"m\",le=\"0.5\"} 1\n"
    ));
    assert!(
        text.contains("# TYPE timed_by_summary_duration_seconds summary\n"),
        "{text}"
    );
    for quantile in ["0.5", "0.99"] {
        assert!(
            text.contains(&format!(
                "timed_by_summary_duration_seconds{{function=\"f\",module=\"m\",quantile=\"{quantile}\"}} "
            )),
            "{text}"
        );
    }
    assert!(
        text.contains("timed_by_summary_duration_seconds_count{function=\"f\",module=\"m\"} 2\n"),
        "{text}"
    );
    assert!(!text.contains("timed_by_summary_duration_seconds_bucket"));
    assert_eq!(
        SummaryOptions::new().age_buckets(2),
        SummaryOptions {
            age_buckets: Some(2),
            ..SummaryOptions::default()
        }
    );
    assert!(matches!(
        SummaryOptions::new().quantiles(&[0.0]).build(),
        Err(crate::error::Error::InvalidQuantiles { .. })
    ));
}

/// Run with `cargo test -p promforge --features noop --lib noop`.
#[cfg(feature = "noop")]
mod noop {
    use super::*;
    use crate::metrics::BUCKETS_LATENCY;

    static SITE: Site = Site::new(SiteConfig {
        function: "f",
        module: "m",
        prefix: "noop_test",
        name: None,
        buckets: BUCKETS_LATENCY,
        summary: None,
        native: NativeChoice::Registry,
        calls: true,
        duration: true,
        in_flight: true,
        exemplars: true,
    });

    #[test]
    fn instrumented_calls_record_nothing() {
        let r = Registry::new();
        SITE.start_in(&r).finish(Outcome::Ok);
        drop(SITE.start_in(&r));
        assert_eq!(r.render(), "", "nothing was even registered");
    }
}

/// A combination is counted in cells only when every label is closed and the types have at
/// most 64 combinations together; the index is the mixed-radix number of the values'
/// indexes.
#[test]
fn label_combinations_are_numbered_up_to_the_limit() {
    use super::labeled::label_combo;
    assert_eq!(label_combo(&[]), Some((0, 1)));
    assert_eq!(label_combo(&[Some((3, 2))]), Some((2, 3)));
    assert_eq!(label_combo(&[Some((3, 2)), Some((2, 1))]), Some((5, 6)));
    assert_eq!(label_combo(&[Some((8, 7)), Some((8, 7))]), Some((63, 64)));
    // 65 combinations: even the first value's calls go through the family, so that one
    // site never counts a label set in two places.
    assert_eq!(label_combo(&[Some((65, 0))]), None);
    assert_eq!(label_combo(&[Some((2, 0)), None]), None);
    assert_eq!(label_combo(&[Some((usize::MAX, 1)), Some((2, 1))]), None);
}
