//! `#[derive(MetricsGroup)]`: a struct of metrics registered together (a live group), or a
//! struct of plain values read at every scrape (`#[metrics(snapshot)]`). A snapshot group
//! may put several value fields into one family with fixed labels (`#[metric(name = "x",
//! labels(result = "ok"))]` on each), and add summaries made from aggregates it keeps
//! (`#[metrics(summary(name = "…_seconds", sum = field | avg = field, count = field,
//! scale = …, help = "…"))]`: `_sum` and `_count`, no quantiles).
//!
//! The pipeline: `attr.rs` parses the attributes; `ast.rs` is the model, read from the
//! struct, each field checked by `check.rs` against the others (what its type is comes from
//! `types.rs`; the names it renders to follow the Prometheus rules of `naming.rs`); then
//! `live.rs` or `snapshot.rs` writes the impls. After an error, `fallback.rs` writes stub
//! impls so that uses of the struct elsewhere add nothing to the real error.

mod ast;
mod attr;
mod bounds;
mod check;
mod fallback;
mod live;
mod naming;
mod snapshot;
mod symbol;
mod types;

use proc_macro2::{Span, TokenStream};
use syn::DeriveInput;

use self::ast::{Body, Input};
use self::attr::ContainerAttrs;
use crate::ctxt::{self, Ctxt};

/// The expansion of `#[derive(MetricsGroup)]`: the impls, or the errors and stubs.
pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let attrs = ContainerAttrs::parse(&cx, &input.attrs);
    let parsed = Input::from_syn(&cx, input, &attrs);
    let left_to_rustc = cx.left_to_rustc();
    match (cx.check(), parsed) {
        // rustc reports the mistake on the struct itself: stubs, and no error of ours.
        (Ok(()), Some(_)) if left_to_rustc => fallback::stub(input, &attrs),
        (Ok(()), Some(parsed)) => match &parsed.body {
            Body::Live(fields) => live::expand(&parsed, fields),
            Body::Snapshot(fields) => snapshot::expand(&parsed, fields),
        },
        (result, _) => {
            // Every `None` recorded an error; this message is never seen.
            let error = result.err().unwrap_or_else(|| {
                syn::Error::new(Span::call_site(), "MetricsGroup cannot be derived here")
            });
            ctxt::failed_derive(&error, attrs.krate_invalid, || {
                fallback::stub(input, &attrs)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::test_util::Expansion;

    /// Expands `input` and checks that the output is Rust items.
    fn expand_str(input: TokenStream) -> Expansion {
        let input: DeriveInput = syn::parse2(input).unwrap_or_else(|error| panic!("{error}"));
        let output = expand(&input);
        if let Err(error) = syn::parse2::<syn::File>(output.clone()) {
            panic!("not items: {error}\n{output}");
        }
        Expansion::new(output)
    }

    #[test]
    fn live_group() {
        let out = expand_str(quote! {
            #[metrics(prefix = "observer")]
            struct Observer {
                /// Events.
                events: Counter,
                /// Latency.
                #[metric(unit = "seconds", buckets = [-1, 0.5, 1])]
                latency: Histogram,
                cache: Cache,
                #[metric(skip)]
                note: String,
            }
        });
        assert!(!out.has_errors(), "{out}");
        assert!(out.has("::promforge::__private::group::MetricsGroup for Observer"));
        assert!(out.has("join_name(__prefix,\"observer\")"));
        assert!(out.has("register_field::<Counter>(__registry,&__prefix,\"events\",\"Events.\""));
        assert!(out.has("\"latency_seconds\""));
        assert!(out.has(".buckets(&[-1f64,0.5f64,1f64])"), "{out}");
        assert!(out.has("fn global()"));
        assert!(out.has("<Cache as ::promforge::__private::group::MetricsGroup>::register_in"));
    }

    /// `FieldOptions` is written with its `const fn` setters: no struct literal, so no
    /// `..Default::default()` for clippy's `needless_update` to flag in the user's crate.
    #[test]
    fn field_options_use_the_setters_not_a_struct_update() {
        let out = expand_str(quote! {
            struct Metrics {
                /// Latency.
                #[metric(unit = "seconds", buckets = exponential(0.001, 2.0, 3))]
                latency: Histogram,
                /// Requests.
                #[metric(buckets = latency)]
                requests: Family<L, Histogram>,
                /// Status.
                status: StateSet<Status>,
                /// Percentiles.
                #[metric(unit = "seconds", quantiles = [0.5, 0.99], max_age = "5m",
                         age_buckets = 3)]
                percentiles: Summary,
                /// Plain.
                plain: Counter,
            }
        });
        assert!(!out.has_errors(), "{out}");
        assert!(!out.has(".."), "{out}");
        assert!(!out.has("FieldOptions{"), "{out}");
        assert!(out.has(
            "FieldOptions::new().state_label(\"latency_seconds\").buckets(&[0.001f64,0.002f64,\
             0.004f64])"
        ));
        assert!(out.has(
            "FieldOptions::new().state_label(\"requests\").buckets(::promforge::__private::\
             instrument::BUCKETS_LATENCY)"
        ));
        assert!(out.has(
            "FieldOptions::new().state_label(\"percentiles_seconds\").summary(::promforge::\
             __private::instrument::SummaryOptions::new().quantiles(&[0.5f64,0.99f64]).max_age(\
             ::core::time::Duration::from_millis(300000u64)).age_buckets(3usize))"
        ));
        assert!(out.has("FieldOptions::new().state_label(\"plain\"))"));
    }

    #[test]
    fn summary_options_on_the_wrong_field() {
        let found = errors(quote! {
            struct Metrics {
                /// Latency.
                #[metric(quantiles = [0.5], max_age = "1m", age_buckets = 2)]
                latency: Histogram,
                /// By kind.
                #[metric(max_age = "1m")]
                by_kind: Family<L, Counter>,
                /// In a family: fine.
                #[metric(quantiles = [0.5, 0.9])]
                sizes: Family<L, Summary>,
                /// Mistakes in the values.
                #[metric(quantiles = [0.5, 0.5], max_age = "5 min", age_buckets = 0)]
                bad: Summary,
            }
        });
        assert_eq!(
            found,
            [
                "`quantiles` applies to summaries, and `latency` is a histogram",
                "`max_age` applies to summaries, and `latency` is a histogram",
                "`age_buckets` applies to summaries, and `latency` is a histogram",
                "`max_age` applies to summaries, and `by_kind` is a family of counters",
                "the quantile `0.5` is given twice (first as `0.5`): give each once",
                "`max_age = \"5 min\"`: `5` has no unit; a duration is a whole number and a \
                 unit (`ms`, `s`, `m`, `h`), like \"30s\", \"5m\", \"1h\", \"500ms\" or \
                 \"1h30m\"",
                "`age_buckets` is a whole number from 1 to 1000: in how many slices the window \
                 is kept (the oldest slice is dropped as time passes), like `age_buckets = 5`",
            ]
        );
        let found = errors(quote! {
            #[metrics(snapshot)]
            struct Stats {
                /// A.
                #[metric(quantiles = [0.5])]
                a: u64,
            }
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].ends_with(
                "`quantiles` is for Summary fields of live groups; a snapshot group writes \
                 plain values"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn errors_come_with_a_stub() {
        let out = expand_str(quote! {
            struct Metrics {
                missing_help: Counter,
            }
        });
        assert!(out.has_errors());
        assert!(out.has("unimplemented"));
        assert!(out.has("fn global()"));

        let out = expand_str(quote! {
            #[metrics(snapshot)]
            enum Stats { A }
        });
        assert!(out.has_errors());
        assert!(out.has("SnapshotGroup for Stats"));
        assert!(out.has("fn register_snapshot"));

        // An invalid `crate` path: no stub naming it.
        let out = expand_str(quote! {
            #[metrics(crate = "not a path")]
            struct Metrics {}
        });
        assert!(out.has_errors());
        assert!(!out.has("impl"));
    }

    /// The messages of the errors `input` expands to.
    fn errors(input: TokenStream) -> Vec<String> {
        let input: DeriveInput = syn::parse2(input).unwrap_or_else(|error| panic!("{error}"));
        let cx = Ctxt::new();
        let attrs = ContainerAttrs::parse(&cx, &input.attrs);
        let _ = Input::from_syn(&cx, &input, &attrs);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn summaries_from_aggregates() {
        let out = expand_str(quote! {
            #[metrics(prefix = "worker", snapshot)]
            #[metrics(summary(name = "processing_seconds", avg = avg_us, count = processed,
                              scale = 0.000001, help = "Processing."))]
            #[metrics(summary(name = "busy_seconds", sum = busy, count = processed,
                              help = "Busy."))]
            #[metrics(summary(name = "wait_seconds", sum = wait_ms, count = processed,
                              scale = 0.3, help = "Wait."))]
            struct Stats {
                #[metric(label)]
                id: u32,
                /// Processed.
                #[metric(counter)]
                processed: u64,
                #[metric(skip)]
                avg_us: f64,
                #[metric(skip)]
                busy: Duration,
                #[metric(skip)]
                wait_ms: f32,
            }
        });
        assert!(!out.has_errors(), "{out}");
        assert!(
            out.has("const FAMILY_COUNT:::core::primitive::usize=4usize;"),
            "{out}"
        );
        assert!(out.has(
            "field_desc(&__prefix,\"processing_seconds\",\"Processing.\",::promforge::\
             MetricType::Summary)"
        ));
        // avg × count, divided by the scale's reciprocal; the struct's labels.
        assert!(
            out.has(
                "write_aggregate_summary(__out,__base+1usize,::promforge::__private::String::\
             as_str(__labels),self.avg_us*self.processed as ::core::primitive::f64/1000000f64,\
             self.processed as ::core::primitive::f64);"
            ),
            "{out}"
        );
        assert!(out.has("__base+2usize,"));
        assert!(out.has("::core::time::Duration::as_secs_f64(&self.busy),"));
        // A scale that is not the reciprocal of a whole number multiplies.
        assert!(
            out.has("self.wait_ms as ::core::primitive::f64*0.3f64,"),
            "{out}"
        );
    }

    #[test]
    fn summary_errors() {
        let found = errors(quote! {
            #[metrics(prefix = "w", snapshot)]
            #[metrics(summary(name = "a_seconds", sum = total, count = count, help = "A."))]
            #[metrics(summary(name = "b_seconds", sum = processed, count = took, help = "B."))]
            #[metrics(summary(name = "processed_total", sum = took, count = processed,
                              help = "C."))]
            #[metrics(summary(name = "took_seconds", sum = took, count = processed, help = "D."))]
            struct Stats {
                /// Processed.
                #[metric(counter)]
                processed: u64,
                #[metric(skip)]
                total: Option<f64>,
                #[metric(skip)]
                count: bool,
                /// Took.
                #[metric(unit = "seconds")]
                took: Duration,
            }
        });
        let expected = [
            "`sum = total`: field `total` is a `Option<f64>`; the field holding the total of \
             the observations must be a number (integer or float) or a Duration",
            "`count = count`: field `count` is a `bool`; the field holding the number of \
             observations must be an integer or float",
            "`count = took`: field `took` is a `Duration`; the field holding the number of \
             observations must be an integer or float",
            "`processed_total` does not end in a base unit",
            "duplicate metric name `w_took_seconds`: field `took` has it already",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found}\n!=\n{expected}");
        }

        let found = errors(quote! {
            #[metrics(summary(name = "a_seconds", sum = a, count = b, help = "A."))]
            struct Live {
                /// A.
                a: Counter,
            }
        });
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("`summary(…)` is for snapshot groups"));

        // A field named like a summary's sample.
        let found = errors(quote! {
            #[metrics(snapshot)]
            #[metrics(summary(name = "x_seconds", sum = a, count = b, help = "X."))]
            struct Stats {
                #[metric(skip)]
                a: f64,
                /// B.
                #[metric(name = "x_seconds_count")]
                b: u64,
            }
        });
        assert_eq!(
            found,
            [
                "the gauge `x_seconds_count`: `_count` ends the samples of histograms and \
                 summaries, and promtool refuses it on a gauge; call it `x_seconds` (`name = \
                 \"x_seconds\"`)"
            ]
        );
        // A counter of that name is `x_seconds_count_total`: no clash with the samples,
        // and the summary's name is free.
        let found = errors(quote! {
            #[metrics(snapshot)]
            #[metrics(summary(name = "x_seconds", sum = a, count = b, help = "X."))]
            struct Stats {
                #[metric(skip)]
                a: f64,
                /// B.
                #[metric(counter, name = "x_seconds_count")]
                b: u64,
            }
        });
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn fixed_labels_share_a_family() {
        let out = expand_str(quote! {
            #[metrics(prefix = "r", snapshot)]
            struct Stats {
                /// By result.
                #[metric(counter, name = "recycles", labels(result = "completed"))]
                completed: u64,
                /// Between the two.
                other: u8,
                #[metric(counter, name = "recycles", labels(result = "failed"))]
                failed: u64,
            }
        });
        assert!(!out.has_errors(), "{out}");
        assert!(out.has("const FAMILY_COUNT:::core::primitive::usize=2usize;"));
        assert!(
            out.has(
                "push_label_pair(__labels,\"result\",\"failed\");<u64 as ::promforge::__private::\
             group::SnapshotValue>::write(&self.failed,__out,__base+0usize,"
            ),
            "{out}"
        );

        let found = errors(quote! {
            #[metrics(snapshot)]
            struct Stats {
                #[metric(label)]
                kind: String,
                /// A.
                #[metric(counter, name = "a", labels(result = "x"))]
                a1: u64,
                #[metric(name = "a", labels(result = "y"))]
                a2: u64,
                #[metric(counter, name = "a", labels(outcome = "y"))]
                a3: u64,
                #[metric(counter, name = "a", labels(result = "x"))]
                a4: u64,
                /// B.
                #[metric(name = "b", labels(kind = "x", le = "1", kind = "y"))]
                b: u64,
                /// C.
                #[metric(name = "c")]
                c1: u64,
                #[metric(name = "c", labels(kind = "y"))]
                c2: u64,
                /// D.
                #[metric(key = "id", labels(kind = "z"))]
                d: BTreeMap<String, u64>,
            }
        });
        let expected = [
            // A gauge `a` is another family than the counter `a_total`: it needs its HELP.
            "metric `a2` has no help text",
            "field `a3` writes into `a_total`, the family of field `a1`, whose fixed labels \
             are (result)",
            "field `a1` already writes the series {result=\"x\"} of `a_total`",
            "`le` is a reserved label name",
            "duplicate label `kind` in `labels(…)`: give it once",
            "duplicate metric name `c`: field `c1` has it already",
            "`labels(…)` applies to a value field: the keys of a map are written in its `key` \
             label",
            "`b` has the fixed label `kind`, which field `kind` already is",
            "`c2` has the fixed label `kind`, which field `kind` already is",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found}\n!=\n{expected}");
        }
    }

    /// Mistakes that used to compile, or to be reported by rustc in generated code: one
    /// error each, from the derive.
    #[test]
    fn mistakes_caught_by_the_derive() {
        let found = errors(quote! {
            #[metrics(prefix = "app")]
            struct Live<M> {
                /// Jobs waiting.
                jobs_total: Gauge,
                /// Open.
                #[metric(name = "open_count")]
                open: Family<L, FloatGauge>,
                /// Fine: a counter.
                requests_total: Counter,
                /// Requests.
                #[metric(nested)]
                served: Counter,
                /// Param.
                param: M,
                /// By shard.
                by_shard: Family<Shard, u64>,
                /// Phase.
                phase: StateSet<String>,
                /// Help.
                #[metric(help = "")]
                empty: Counter,
                users: Cache,
                sessions: Cache,
            }
        });
        let expected = [
            "the gauge `app_jobs_total`: `_total` marks a counter",
            "the gauge `app_open_count`: `_count` ends the samples",
            "`nested` is for a field whose type is a metrics group, and `served` is a `Counter`",
            "the type of `param` is the type parameter `M`",
            "a Family holds one metric per label set, and `u64` is a plain number",
            "a StateSet writes one series per state",
            "help text cannot be empty",
            "`users` and `sessions` are both `Cache` groups",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found}\n!=\n{expected}");
        }

        let found = errors(quote! {
            #[metrics(prefix = "w", snapshot)]
            struct Stats {
                worker: String,
                /// Messages.
                #[metric(counter)]
                messages: i64,
                /// Restarts.
                #[metric(counter)]
                restarts: Option<u32>,
                /// Sizes.
                size_sum: u64,
                #[metric(nested, key = "queue")]
                queues: HashMap<String, Queue>,
                inbox: Queue,
                outbox: Option<Queue>,
                /// Fine: an optional nested group of another type.
                cache: Option<Cache>,
            }
        });
        let expected = [
            "`worker` is a `String`, which is not a value",
            "a counter only goes up, and `messages` is an `i64`",
            "the gauge `w_size_sum`: `_sum` ends the samples",
            "`queues` is a map: a map of nested stats takes `key = \"…\"`",
            "`queues` and `inbox` are both `Queue` groups",
            "`queues` and `outbox` are both `Queue` groups",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found}\n!=\n{expected}");
        }

        let found = errors(quote! {
            #[metrics(labels = String)]
            struct Worker {
                /// Messages.
                messages: Counter,
            }
        });
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("`labels = String`: a `String` is one label's value"));
    }

    /// `Family<String, _>` is ill-formed in the user's own struct: rustc reports it there,
    /// and the derive writes only stubs, with no error of its own.
    #[test]
    fn a_family_keyed_by_a_label_value_is_left_to_rustc() {
        let out = expand_str(quote! {
            struct Metrics {
                /// Requests.
                requests: Family<String, Counter>,
            }
        });
        assert!(!out.has_errors(), "{out}");
        assert!(!out.has("register_field"), "{out}");
        assert!(out.has("unimplemented"), "{out}");
    }

    #[test]
    fn scales_that_divide() {
        let out = expand_str(quote! {
            #[metrics(snapshot)]
            struct Stats {
                /// A.
                #[metric(unit = "seconds", scale = 0.000001)]
                a_us: f64,
                /// B.
                #[metric(unit = "seconds", scale = "1/1000")]
                b_ms: u64,
                /// C.
                #[metric(unit = "bytes", scale = 1024)]
                c_kib: u64,
                /// D.
                #[metric(unit = "ratio", scale = "3/4")]
                d: f64,
            }
        });
        assert!(!out.has_errors(), "{out}");
        assert!(out.has("group::Scale::Per(1000000f64)"), "{out}");
        assert!(out.has("group::Scale::Per(1000f64)"), "{out}");
        assert!(out.has("group::Scale::Times(1024f64)"), "{out}");
        assert!(out.has("group::Scale::Times(0.75f64)"), "{out}");
        let found = errors(quote! {
            #[metrics(snapshot)]
            struct Stats {
                /// A.
                #[metric(scale = "1/0")]
                a: f64,
                /// B.
                #[metric(scale = "fast")]
                b: f64,
            }
        });
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found
                .iter()
                .all(|e| e.starts_with("expected a number literal or a fraction"))
        );
    }

    #[test]
    fn labeled_group() {
        let out = expand_str(quote! {
            #[metrics(labels = WorkerLabels)]
            pub struct Worker {
                /// Messages.
                pub messages: Counter,
            }
        });
        assert!(out.has("pub struct WorkerFamilies"));
        assert!(out.has("pub messages:::promforge::Family<WorkerLabels,Counter>"));
        assert!(out.has("pub fn for_labels(&self,__labels:&WorkerLabels)->Worker"));
        assert!(out.has("pub fn for_labels(__labels:&WorkerLabels)->Self"));
    }

    #[test]
    fn snapshot_group() {
        let out = expand_str(quote! {
            #[metrics(prefix = "w", snapshot)]
            struct Stats {
                #[metric(label)]
                id: String,
                /// Count.
                #[metric(counter)]
                count: u64,
                nested: Other,
                /// After the nested group.
                after: f64,
                #[metric(key = "conn")]
                conns: HashMap<String, Conn>,
            }
        });
        assert!(out.has(
            "const FAMILY_COUNT:::core::primitive::usize=2usize+<Other as ::promforge::__private::\
             group::SnapshotGroup>::FAMILY_COUNT+<Conn as ::promforge::__private::group::\
             SnapshotGroup>::FAMILY_COUNT;"
        ));
        assert!(out.has("push_label::<String>(__labels,\"id\",&self.id)"));
        // The value after a nested group starts after the nested group's families.
        assert!(out.has(
            "(&self.after,__out,__base+1usize+<Other as ::promforge::__private::group::\
             SnapshotGroup>::FAMILY_COUNT,"
        ));
        assert!(out.has("push_label::<String>(__labels,\"conn\",__key)"));
    }
}
