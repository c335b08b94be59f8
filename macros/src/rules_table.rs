//! The shared table of naming and bucket rules (`promforge_rules::table`), run through the
//! macros' entry points: the derives and the attribute, as a user's crate would call them.
//! The runtime runs the same table through its registry, families and bucket generators.

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote};
use syn::{DeriveInput, Expr};

use promforge_rules::table::{self, BucketCase};

use crate::metric_options::Buckets;
use crate::test_util::Expansion;

/// Whether the expansion reports an error (a `compile_error!` in its tokens).
fn has_compile_error(tokens: TokenStream) -> bool {
    Expansion::new(tokens).has_errors()
}

fn derive(input: TokenStream) -> DeriveInput {
    syn::parse2(input).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn metric_names_in_a_group() {
    for case in table::NAMES {
        let name = case.name;
        // A counter: `_total` is added, so only the name rule can refuse it.
        let out = crate::metrics_group::expand(&derive(quote! {
            struct Group {
                /// Help.
                #[metric(name = #name)]
                field: Counter,
            }
        }));
        assert_eq!(!has_compile_error(out), case.metric, "metric name {name:?}");
    }
}

#[test]
fn label_names_in_a_label_set() {
    for case in table::NAMES {
        let name = case.name;
        let out = crate::labels::set::expand(&derive(quote! {
            struct Labels {
                #[label(rename = #name)]
                field: String,
            }
        }));
        assert_eq!(
            !has_compile_error(out),
            case.user_label,
            "label name {name:?}"
        );
    }
}

#[test]
fn gauge_suffixes_in_a_group() {
    for &(name, refused) in table::GAUGES {
        let out = crate::metrics_group::expand(&derive(quote! {
            struct Group {
                /// Help.
                #[metric(name = #name)]
                field: Gauge,
            }
        }));
        // `_total` alone is not a valid ending to refuse, but is a valid name.
        assert_eq!(has_compile_error(out), refused.is_some(), "gauge {name:?}");
    }
}

#[test]
fn instrumented_function_names() {
    for &(name, refused) in table::INSTRUMENT_NAMES {
        let out = crate::instrument::expand(
            quote!(name = #name),
            quote!(
                fn f() {}
            ),
        );
        assert_eq!(
            has_compile_error(out),
            refused.is_some(),
            "instrument name {name:?}"
        );
    }
}

/// A counter is known by its name with `_total` (`promforge_rules::counter_name`, as the
/// registry adds it): a histogram named that way is a duplicate.
#[test]
fn counter_names_in_a_group() {
    for &(name, exposed) in table::COUNTERS {
        let out = Expansion::new(crate::metrics_group::expand(&derive(quote! {
            struct Group {
                /// Help.
                #[metric(name = #name)]
                counter: Counter,
                /// Help.
                #[metric(name = #exposed)]
                histogram: Histogram,
            }
        })));
        assert!(
            out.error(&format!("duplicate metric name `{exposed}`")),
            "{name}: {:?}",
            out.errors()
        );
    }
}

/// After a prefix, a name is checked joined to it (`promforge_rules::join_name`), as the
/// runtime checks it: `5xx` alone is refused (see the table), `app_5xx` is not.
#[test]
fn names_after_a_prefix_are_checked_joined() {
    for &(prefix, name, joined) in table::JOINS {
        if name.is_empty() {
            continue;
        }
        let out = crate::metrics_group::expand(&derive(quote! {
            #[metrics(prefix = #prefix)]
            struct Group {
                /// Help.
                #[metric(name = #name)]
                field: Counter,
            }
        }));
        let valid = promforge_rules::check_metric_name(joined).is_ok();
        assert_eq!(!has_compile_error(out), valid, "{prefix:?} + {name:?}");
    }
}

/// A bound as a literal the attribute reads (`1e999` is how a user writes infinity).
fn bound(value: f64) -> TokenStream {
    match value {
        f64::INFINITY => quote!(1e999),
        f64::NEG_INFINITY => quote!(-1e999),
        value if value < 0.0 => {
            let literal = Literal::f64_unsuffixed(-value);
            quote!(-#literal)
        }
        value => Literal::f64_unsuffixed(value).into_token_stream(),
    }
}

#[test]
fn buckets_as_written_and_generated() {
    for case in table::BUCKETS {
        let (expr, expected): (TokenStream, Option<Vec<f64>>) = match *case {
            // NaN has no literal.
            BucketCase::List { bounds, .. } if bounds.iter().any(|b| b.is_nan()) => continue,
            BucketCase::List { bounds, ok } => {
                let bounds = bounds.iter().map(|&b| bound(b));
                (quote!([#(#bounds),*]), ok.then(Vec::new))
            }
            BucketCase::Generated {
                generator,
                start,
                step,
                count,
                expected,
            } => {
                let function = syn::Ident::new(generator.name(), proc_macro2::Span::call_site());
                let (start, step) = (bound(start), bound(step));
                (
                    quote!(#function(#start, #step, #count)),
                    expected.map(<[f64]>::to_vec),
                )
            }
        };
        let parsed: Expr = syn::parse2(expr.clone()).unwrap_or_else(|error| panic!("{error}"));
        let result = match Buckets::parse(&parsed, false) {
            Ok(Buckets::List(bounds)) => Some(bounds),
            Ok(_) => panic!("not a list: {expr}"),
            Err(_) => None,
        };
        match (&case, expected) {
            (BucketCase::List { bounds, .. }, Some(_)) => {
                assert_eq!(result.as_deref(), Some(*bounds), "{expr}");
            }
            (_, expected) => assert_eq!(result, expected, "{expr}"),
        }
    }
}

/// A bound or quantile as a literal.
fn number(value: f64) -> TokenStream {
    bound(value)
}

#[test]
fn quantiles_and_age_buckets() {
    for &(quantile, ok) in table::QUANTILES {
        if quantile.is_nan() {
            continue; // no literal
        }
        let quantile = number(quantile);
        let parsed: Expr = syn::parse2(quote!([#quantile])).expect("an array");
        assert_eq!(
            crate::metric_options::parse_quantiles(&parsed).is_ok(),
            ok,
            "{quantile}"
        );
    }
    for &(age_buckets, ok) in table::AGE_BUCKETS {
        let parsed: Expr = syn::parse2(quote!(#age_buckets)).expect("a literal");
        assert_eq!(
            crate::metric_options::parse_age_buckets(&parsed).is_ok(),
            ok,
            "{age_buckets}"
        );
    }
}
