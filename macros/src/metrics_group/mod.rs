//! `#[derive(MetricsGroup)]`: a struct of metrics registered together (a live group), or a
//! struct of plain values read at every scrape (`#[metrics(snapshot)]`).
//!
//! The pipeline: `attr.rs` parses the attributes, `ast.rs` reads each field and checks the
//! names it renders to (`naming.rs` holds the Prometheus rules), then `live.rs` or
//! `snapshot.rs` writes the impls. After an error, `fallback.rs` writes stub impls so that
//! uses of the struct elsewhere add nothing to the real error.

mod ast;
mod attr;
mod bounds;
mod fallback;
mod live;
mod naming;
mod snapshot;
mod symbol;

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use syn::DeriveInput;

use self::ast::{Body, Input};
use self::attr::ContainerAttrs;
use crate::ctxt::{self, Ctxt};

/// The expansion of `#[derive(MetricsGroup)]`: the impls, or the errors and stubs.
pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let attrs = ContainerAttrs::parse(&cx, &input.attrs);
    let parsed = Input::from_syn(&cx, input, &attrs);
    match (cx.check(), parsed) {
        (Ok(()), Some(parsed)) => match &parsed.body {
            Body::Live(fields) => live::expand(&parsed, fields),
            Body::Snapshot(fields) => snapshot::expand(&parsed, fields),
        },
        (result, _) => {
            // Every `None` recorded an error; this message is never seen.
            let error = result.err().unwrap_or_else(|| {
                syn::Error::new(Span::call_site(), "MetricsGroup cannot be derived here")
            });
            let stub = if attrs.krate_invalid {
                TokenStream::new()
            } else {
                fallback::stub(input, &attrs)
            };
            ctxt::failed(&error, stub)
        }
    }
}

/// An `f64` as a literal token (`-` and the magnitude for a negative number).
fn float(value: f64) -> TokenStream {
    let magnitude = Literal::f64_suffixed(value.abs());
    if value.is_sign_negative() {
        quote!(-#magnitude)
    } else {
        quote!(#magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expands `input` and checks that the output is Rust items; returns it as text.
    fn expand_str(input: TokenStream) -> String {
        let input: DeriveInput = syn::parse2(input).unwrap_or_else(|error| panic!("{error}"));
        let output = expand(&input);
        if let Err(error) = syn::parse2::<syn::File>(output.clone()) {
            panic!("not items: {error}\n{output}");
        }
        output.to_string().replace(' ', "")
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
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("::promforge::__private::group::MetricsGroupforObserver"));
        assert!(out.contains("join_name(__prefix,\"observer\")"));
        assert!(
            out.contains("register_field::<Counter>(__registry,&__prefix,\"events\",\"Events.\"")
        );
        assert!(out.contains("\"latency_seconds\""));
        assert!(out.contains("=&[-1f64,0.5f64,1f64]"), "{out}");
        assert!(out.contains("fnglobal()"));
        assert!(out.contains("<Cacheas::promforge::__private::group::MetricsGroup>::register_in"));
    }

    #[test]
    fn errors_come_with_a_stub() {
        let out = expand_str(quote! {
            struct Metrics {
                missing_help: Counter,
            }
        });
        assert!(out.contains("compile_error"));
        assert!(out.contains("unimplemented"));
        assert!(out.contains("fnglobal()"));

        let out = expand_str(quote! {
            #[metrics(snapshot)]
            enum Stats { A }
        });
        assert!(out.contains("compile_error"));
        assert!(out.contains("SnapshotGroupforStats"));
        assert!(out.contains("fnregister_snapshot"));

        // An invalid `crate` path: no stub naming it.
        let out = expand_str(quote! {
            #[metrics(crate = "not a path")]
            struct Metrics {}
        });
        assert!(out.contains("compile_error"));
        assert!(!out.contains("impl"));
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
        assert!(out.contains("pubstructWorkerFamilies"));
        assert!(out.contains("pubmessages:::promforge::Family<WorkerLabels,Counter>"));
        assert!(out.contains("pubfnfor_labels(&self,__labels:&WorkerLabels)->Worker"));
        assert!(out.contains("pubfnfor_labels(__labels:&WorkerLabels)->Self"));
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
        assert!(out.contains(
            "constFAMILY_COUNT:::core::primitive::usize=2usize+<Otheras::promforge::__private::\
             group::SnapshotGroup>::FAMILY_COUNT+<Connas::promforge::__private::group::\
             SnapshotGroup>::FAMILY_COUNT;"
        ));
        assert!(out.contains("push_label::<String>(__labels,\"id\",&self.id)"));
        // The value after a nested group starts after the nested group's families.
        assert!(out.contains(
            "(&self.after,__out,__base+1usize+<Otheras::promforge::__private::group::\
             SnapshotGroup>::FAMILY_COUNT,"
        ));
        assert!(out.contains("push_label::<String>(__labels,\"conn\",__key)"));
    }
}
