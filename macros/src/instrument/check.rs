//! Checks of `#[instrument_metrics(…)]`: names, labels, buckets, the item it is on, and
//! the label expressions against the arguments of each function. Every mistake is a
//! `syn::Error` on the user's token, all recorded in the `Ctxt`.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::visit::{self, Visit};
use syn::{Expr, FnArg, Ident, Item, Signature};

use super::args::{Args, NativeArg, SummaryArg};
use crate::ctxt::Ctxt;
use crate::krate::Krate;
use crate::metric_options::{self, Buckets, SummaryOptions};
use crate::names;
use crate::symbol::{CALLS, DURATION, IN_FLIGHT};

/// What goes on a function, and nothing else.
pub(super) const WRONG_ITEM: &str = "#[instrument_metrics] goes on a function (free, associated, \
                                     method, async), or an impl block to instrument every method";

/// The labels the calls families have whatever the attribute says.
const BUILTIN_LABELS: [(&str, &str); 4] = [
    ("function", "the function's name"),
    ("module", "the function's module path"),
    (
        "result",
        "how the call ended: `ok`, `error`, `cancelled` or `panic`",
    ),
    ("error", "the variant of an error enum that is a LabelValue"),
];

/// The checked options, ready to expand.
pub(super) struct Options {
    /// The runtime crate.
    pub(super) krate: Krate,
    /// `prefix = "…"`, or "".
    pub(super) prefix: String,
    /// `name = "…"`.
    pub(super) name: Option<String>,
    /// `labels(…)`.
    pub(super) labels: Vec<Label>,
    /// `buckets = …`, if given.
    pub(super) buckets: Option<Buckets>,
    /// `summary`: durations go in a summary with these settings.
    pub(super) summary: Option<SummaryOptions>,
    /// `native`: durations go in a native histogram with these settings.
    pub(super) native: Option<NativeOptions>,
    /// Whether calls are counted.
    pub(super) calls: bool,
    /// Whether durations are recorded.
    pub(super) duration: bool,
    /// Whether calls in progress are tracked.
    pub(super) in_flight: bool,
    /// Whether durations keep automatic exemplars.
    pub(super) exemplars: bool,
    /// `registry = expr`.
    pub(super) registry: Option<Expr>,
}

/// The settings of `native(…)`; `None` keeps the runtime's default.
#[derive(Default)]
pub(super) struct NativeOptions {
    pub(super) bucket_factor: Option<f64>,
    pub(super) zero_threshold: Option<f64>,
    pub(super) max_buckets: Option<usize>,
}

/// One label taken from the arguments.
pub(super) struct Label {
    /// The field of the generated label set: the user's identifier, raw if it is a keyword.
    pub(super) field: Ident,
    /// The local holding the label's value from the start of the call.
    pub(super) local: Ident,
    /// The expression, as written.
    pub(super) expr: Expr,
}

/// The error for a `name` that already ends in a suffix the attribute adds, if it does.
fn name_with_added_suffix(name: &str) -> Option<String> {
    let suffix = promforge_rules::instrument_refused_suffix(name)?;
    let stem = &name[..name.len() - suffix.len()];
    Some(format!(
        "`name = \"{name}\"` ends in `{suffix}`, and the attribute adds the endings itself \
         (`<name>_calls_total`, `<name>_duration_seconds`, `<name>_in_flight`): this would \
         write `{name}_calls_total`; write `name = \"{stem}\"`"
    ))
}

/// Checks the options, recording each mistake in `cx`.
pub(super) fn options(cx: &Ctxt, args: &mut Args) -> Options {
    if let Some(prefix) = &args.prefix {
        if let Err(message) = names::check_prefix(&prefix.value()) {
            cx.error_spanned_by(prefix, message);
        }
    }
    if let Some(name) = &args.name {
        if let Err(message) = names::check_metric_name(&name.value(), false) {
            cx.error_spanned_by(name, message);
        } else if let Some(message) = name_with_added_suffix(&name.value()) {
            cx.error_spanned_by(name, message);
        }
    }
    if let (Some(keyword), [.., (_, last)]) = (&args.skip_keyword, args.skip.as_slice()) {
        if [CALLS, DURATION, IN_FLIGHT]
            .iter()
            .all(|symbol| args.skip.iter().any(|(item, _)| item == symbol))
        {
            cx.error_spanned_by(
                quote!(#keyword #last),
                "`skip(calls, duration, in_flight)` records nothing: remove \
                 #[instrument_metrics] from this item instead (or, on a method of an \
                 instrumented impl block, write plain `#[instrument_metrics(skip)]`)",
            );
        }
    }
    if let Some(Expr::Lit(literal)) = &args.registry {
        cx.error_spanned_by(
            literal,
            format!(
                "`registry = {}`: the `registry` option takes an expression that is a Registry \
                 (or derefs to one), like `registry = &*METRICS` or `registry = \
                 crate::metrics::registry()`, not a name in a literal",
                literal.to_token_stream()
            ),
        );
    }
    let labels = match &args.labels {
        Some(labels) => {
            if args.name.is_none() {
                cx.error_spanned_by(
                    &labels.keyword,
                    "labels(…) needs `name = \"…\"`: the shared `function_calls_*` families \
                     have fixed labels (`function`, `module`, `result`, `error`), so labels \
                     from the arguments go in families of the function's own, named by `name`",
                );
            }
            check_labels(cx, &labels.entries)
        }
        None => Vec::new(),
    };
    let buckets = args.buckets.as_ref().and_then(|buckets| {
        if args.name.is_none() {
            cx.error_spanned_by(
                &buckets.keyword,
                "`buckets` needs `name = \"…\"`: the shared \
                 `function_calls_duration_seconds` histogram has one bucket layout for every \
                 function, so other buckets go in families of the function's own, named by \
                 `name`",
            );
        }
        recorded(cx, Buckets::parse(&buckets.value, false))
    });
    let skipped = |symbol| args.skip.iter().any(|(item, _)| *item == symbol);
    let summary = args.summary.as_ref().map(|summary| {
        if args.name.is_none() {
            cx.error_spanned_by(
                &summary.keyword,
                "`summary` needs `name = \"…\"`: the shared \
                 `function_calls_duration_seconds` is a histogram for every function, so a \
                 summary of durations goes in families of the function's own, named by \
                 `name` (`<name>_duration_seconds`)",
            );
        }
        if let Some(buckets) = &args.buckets {
            cx.error_spanned_by(
                &buckets.keyword,
                "`buckets` and `summary` are two ways to record durations (a histogram's \
                 buckets, or a summary's quantiles over a window): give one",
            );
        }
        if let Some((_, item)) = args.skip.iter().find(|(item, _)| *item == DURATION) {
            cx.error_spanned_by(
                item,
                "`summary` says how durations are recorded, and `skip(duration)` records \
                 none: give one",
            );
        }
        check_summary(cx, summary)
    });
    let native = args.native.as_ref().map(|native| {
        if args.name.is_none() {
            cx.error_spanned_by(
                &native.keyword,
                "`native` needs `name = \"…\"`: the shared \
                 `function_calls_duration_seconds` is one histogram for every function, so a \
                 native histogram of durations goes in families of the function's own, named \
                 by `name` (`<name>_duration_seconds`); for every function of a registry, use \
                 `RegistryBuilder::native_durations`",
            );
        }
        if let Some(buckets) = &args.buckets {
            cx.error_spanned_by(
                &buckets.keyword,
                "`buckets` and `native` are two ways to record durations (a histogram's \
                 fixed buckets, or a native histogram's exponential ones): give one",
            );
        } else if let Some(summary) = &args.summary {
            cx.error_spanned_by(
                &summary.keyword,
                "`summary` and `native` are two ways to record durations (a summary's \
                 quantiles over a window, or a native histogram): give one",
            );
        }
        if let Some((_, item)) = args.skip.iter().find(|(item, _)| *item == DURATION) {
            cx.error_spanned_by(
                item,
                "`native` says how durations are recorded, and `skip(duration)` records \
                 none: give one",
            );
        }
        check_native(cx, native)
    });
    Options {
        krate: std::mem::take(&mut args.krate),
        prefix: args
            .prefix
            .as_ref()
            .map(syn::LitStr::value)
            .unwrap_or_default(),
        name: args.name.as_ref().map(syn::LitStr::value),
        labels,
        buckets,
        summary,
        native,
        calls: !skipped(CALLS),
        duration: !skipped(DURATION),
        in_flight: !skipped(IN_FLIGHT),
        exemplars: args.exemplars.unwrap_or(true),
        registry: args.registry.clone(),
    }
}

/// The settings of `summary(…)`, each checked on its own tokens.
fn check_summary(cx: &Ctxt, summary: &SummaryArg) -> SummaryOptions {
    SummaryOptions {
        quantiles: summary
            .quantiles
            .as_ref()
            .and_then(|expr| recorded(cx, metric_options::parse_quantiles(expr))),
        max_age: summary
            .max_age
            .as_ref()
            .and_then(|literal| recorded(cx, metric_options::parse_max_age(literal))),
        age_buckets: summary
            .age_buckets
            .as_ref()
            .and_then(|expr| recorded(cx, metric_options::parse_age_buckets(expr))),
    }
}

/// The settings of `native(…)`, each checked on its own tokens.
fn check_native(cx: &Ctxt, native: &NativeArg) -> NativeOptions {
    let bucket_factor =
        native
            .bucket_factor
            .as_ref()
            .and_then(|expr| match crate::attr_util::number(expr) {
                Some(factor) if factor.is_finite() && factor > 1.0 => Some(factor),
                _ => {
                    cx.error_spanned_by(
                        expr,
                        "`bucket_factor` is a number above 1: the largest ratio between the \
                     bounds of neighbouring buckets, like `bucket_factor = 1.1` (about 5% \
                     error)",
                    );
                    None
                }
            });
    let zero_threshold =
        native
            .zero_threshold
            .as_ref()
            .and_then(|expr| match crate::attr_util::number(expr) {
                Some(threshold) if threshold.is_finite() && threshold >= 0.0 => Some(threshold),
                _ => {
                    cx.error_spanned_by(
                        expr,
                        "`zero_threshold` is a number not below 0: durations at most this many \
                     seconds are counted in the zero bucket, like `zero_threshold = 1e-9`",
                    );
                    None
                }
            });
    let max_buckets =
        native
            .max_buckets
            .as_ref()
            .and_then(|expr| match metric_options::whole_number(expr) {
                Some(max) if max >= 2 => Some(max),
                _ => {
                    cx.error_spanned_by(
                        expr,
                        "`max_buckets` is a whole number from 2: how many buckets are kept at \
                     most (more distinct durations lower the resolution), like \
                     `max_buckets = 160`",
                    );
                    None
                }
            });
    NativeOptions {
        bucket_factor,
        zero_threshold,
        max_buckets,
    }
}

/// The value, or `None` with its errors recorded.
fn recorded<T>(cx: &Ctxt, result: syn::Result<T>) -> Option<T> {
    result.map_err(|error| cx.syn_error(error)).ok()
}

fn check_labels(cx: &Ctxt, entries: &[super::args::LabelArg]) -> Vec<Label> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut labels = Vec::with_capacity(entries.len());
    for entry in entries {
        let ident = &entry.ident;
        let name = ident.unraw().to_string();
        let message = if matches!(name.as_str(), "self" | "Self" | "super" | "crate" | "_") {
            Some(format!(
                "`{name}` cannot be a label name here: the label becomes a field of a \
                 generated struct"
            ))
        } else if name == "le" {
            Some(
                "`le` is a reserved label name: histograms write it for their bucket bounds; \
                 name this label something else"
                    .to_owned(),
            )
        } else if name == "quantile" {
            Some(
                "`quantile` is a reserved label name: summaries write it for their \
                 quantiles; name this label something else"
                    .to_owned(),
            )
        } else if let Err(message) = names::check_label_name(&name) {
            Some(message)
        } else if let Some((_, what)) = BUILTIN_LABELS.iter().find(|(label, _)| *label == name) {
            Some(format!(
                "`{name}` is a label #[instrument_metrics] writes itself ({what}); name this \
                 label something else"
            ))
        } else if seen.contains(&name) {
            Some(format!(
                "duplicate label `{name}` in labels(…): each label needs its own name"
            ))
        } else {
            None
        };
        if let Some(message) = message {
            cx.error_spanned_by(ident, message);
            continue;
        }
        seen.insert(name.clone());
        // A keyword (`type`, `fn`) is a field only as a raw identifier.
        let field = if syn::parse2::<Ident>(ident.to_token_stream()).is_ok() {
            ident.clone()
        } else {
            Ident::new_raw(&name, ident.span())
        };
        labels.push(Label {
            field,
            local: Ident::new(&format!("__pf_label_{name}"), Span::mixed_site()),
            expr: entry.expr.clone(),
        });
    }
    labels
}

/// Reports a second `#[instrument_metrics]` on the same item: every call would be counted
/// twice. (A method's own attribute inside an instrumented impl block is not a second one:
/// it replaces the block's for that method.)
pub(super) fn not_twice(cx: &Ctxt, attrs: &[syn::Attribute]) {
    if let Some(again) = attrs.iter().find(|attr| super::is_instrument_metrics(attr)) {
        cx.error_spanned_by(
            again,
            "`#[instrument_metrics]` is already on this item: a second one would count every \
             call twice; keep one",
        );
    }
}

/// Reports a plain `skip` outside an instrumented impl block.
pub(super) fn plain_skip(cx: &Ctxt, args: &Args, on_impl: bool) {
    let Some(skip) = &args.plain_skip else {
        return;
    };
    let message = if on_impl {
        "plain `skip` on an impl block would leave every method alone: remove the attribute, \
         or put `#[instrument_metrics(skip)]` on the methods to leave alone"
    } else {
        "plain `skip` leaves a method of an impl block carrying #[instrument_metrics] alone, \
         and this function is not in one: remove the attribute, or name the metrics not to \
         record, like `skip(in_flight)`"
    };
    cx.error_spanned_by(skip, message);
}

/// Reports a `const fn`, which cannot record metrics.
pub(super) fn not_const(cx: &Ctxt, sig: &Signature) {
    if let Some(constness) = &sig.constness {
        cx.error_spanned_by(
            constness,
            "#[instrument_metrics] cannot go on a const fn: a const fn cannot record metrics, \
             they are updated at run time",
        );
    }
}

/// The tokens an error on an item that is not a function or an impl block spans: its
/// keyword and name.
pub(super) fn wrong_item_tokens(item: &Item) -> TokenStream {
    match item {
        Item::Const(item) => {
            let (keyword, ident) = (&item.const_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Enum(item) => {
            let (keyword, ident) = (&item.enum_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::ExternCrate(item) => {
            let (keyword, ident) = (&item.extern_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::ForeignMod(item) => item.abi.to_token_stream(),
        Item::Macro(item) => {
            let (path, bang) = (&item.mac.path, &item.mac.bang_token);
            quote!(#path #bang)
        }
        Item::Mod(item) => {
            let (keyword, ident) = (&item.mod_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Static(item) => {
            let (keyword, ident) = (&item.static_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Struct(item) => {
            let (keyword, ident) = (&item.struct_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Trait(item) => {
            let (keyword, ident) = (&item.trait_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::TraitAlias(item) => {
            let (keyword, ident) = (&item.trait_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Type(item) => {
            let (keyword, ident) = (&item.type_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Union(item) => {
            let (keyword, ident) = (&item.union_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Use(item) => item.use_token.to_token_stream(),
        Item::Verbatim(tokens) => {
            // A function without a body (`fn f(&self);` in a trait): its `fn` and name.
            match syn::parse2::<BodylessFn>(tokens.clone()) {
                Ok(BodylessFn { fn_token, ident }) => quote!(#fn_token #ident),
                Err(_) => tokens.clone().into_iter().take(1).collect(),
            }
        }
        other => other.to_token_stream().into_iter().take(1).collect(),
    }
}

/// The error for an item that is not a function with a body nor an impl block.
pub(super) fn wrong_item_message(item: &Item) -> String {
    if let Item::Verbatim(tokens) = item {
        if let Ok(BodylessFn { ident, .. }) = syn::parse2::<BodylessFn>(tokens.clone()) {
            return format!(
                "`{}` has no body: #[instrument_metrics] wraps a function's body, and a \
                 foreign function (in `extern {{ … }}`) or a trait method's declaration is only \
                 a signature; instrument the function that has the body (the method in each \
                 impl, or the Rust function that calls the foreign one)",
                ident.unraw()
            );
        }
    }
    WRONG_ITEM.to_owned()
}

/// `fn name(…) -> …;`: a function declaration without a body.
struct BodylessFn {
    fn_token: syn::Token![fn],
    ident: Ident,
}

impl syn::parse::Parse for BodylessFn {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let _attrs = input.call(syn::Attribute::parse_outer)?;
        let _vis: syn::Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let _semi: syn::Token![;] = input.parse()?;
        Ok(Self {
            fn_token: sig.fn_token,
            ident: sig.ident,
        })
    }
}

/// Reports each variable of a label expression that is not an argument of the function (nor
/// `self`, nor bound inside the expression): the expressions are evaluated before the body.
pub(super) fn label_expressions(cx: &Ctxt, labels: &[Label], sig: &Signature) {
    if labels.is_empty() {
        return;
    }
    let mut arguments = Bindings::default();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(_) => {}
            FnArg::Typed(typed) => arguments.visit_pat(&typed.pat),
        }
    }
    let function = sig.ident.unraw();
    for label in labels {
        let mut bound = Bindings::default();
        bound.visit_expr(&label.expr);
        let mut uses = Variables::default();
        uses.visit_expr(&label.expr);
        for ident in uses.found {
            let name = ident.unraw().to_string();
            let variable = name.starts_with(|c: char| c.is_lowercase() || c == '_');
            if !variable
                || name == "self"
                || arguments.names.contains(&name)
                || bound.names.contains(&name)
            {
                continue;
            }
            cx.error_spanned_by(
                ident,
                format!(
                    "`{name}` is not an argument of `{function}`; labels(...) expressions are \
                     evaluated from the arguments at the start of the call"
                ),
            );
        }
    }
}

/// The names bound by the patterns it visits.
#[derive(Default)]
struct Bindings {
    names: BTreeSet<String>,
}

impl Visit<'_> for Bindings {
    fn visit_pat_ident(&mut self, pat: &syn::PatIdent) {
        self.names.insert(pat.ident.unraw().to_string());
        visit::visit_pat_ident(self, pat);
    }
}

/// The single-identifier paths used as values in an expression, except called functions
/// (`helper(x)`: a function in scope, not a variable).
#[derive(Default)]
struct Variables<'a> {
    found: Vec<&'a Ident>,
}

impl<'a> Visit<'a> for Variables<'a> {
    fn visit_expr_path(&mut self, expr: &'a syn::ExprPath) {
        if let Some(ident) = single_ident(expr) {
            self.found.push(ident);
        }
        visit::visit_expr_path(self, expr);
    }

    fn visit_expr_call(&mut self, call: &'a syn::ExprCall) {
        for attr in &call.attrs {
            self.visit_attribute(attr);
        }
        match &*call.func {
            Expr::Path(path) if single_ident(path).is_some() => {}
            func => self.visit_expr(func),
        }
        for arg in &call.args {
            self.visit_expr(arg);
        }
    }
}

fn single_ident(expr: &syn::ExprPath) -> Option<&Ident> {
    if expr.qself.is_some() || expr.path.leading_colon.is_some() {
        return None;
    }
    match expr.path.segments.len() {
        1 => Some(&expr.path.segments[0].ident),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn check(args: TokenStream, sig: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let mut args = Args::parse(&cx, args);
        let options = options(&cx, &mut args);
        let sig: Signature = syn::parse2(sig).expect("signature");
        label_expressions(&cx, &options.labels, &sig);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn valid_options_pass() {
        let errors = check(
            quote! {
                name = "db_query", prefix = "observer",
                labels(table = table, shard = self.shard_id, kind = kind_of(&sql),
                       n = rows.iter().filter(|r| r.ok).count(), r#type = ty, LABEL = x),
                buckets = [0.001, 0.01, 1, 10]
            },
            quote!(fn query(&self, table: &str, sql: &str, rows: Vec<Row>, ty: u8, x: u8)),
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn names_labels_and_buckets() {
        let errors = check(
            quote! {
                prefix = "a-b", name = "9x",
                labels(le = a, quantile = a, result = a, error = a, __x = a, ok = a, ok = a),
                buckets = [1.0, 0.5]
            },
            quote!(fn f(a: u8)),
        );
        assert_eq!(
            errors,
            [
                "`a-b` is not a valid metric name prefix: Prometheus metric names match \
                 `[a-zA-Z_:][a-zA-Z0-9_:]*` (ASCII letters, digits, `_` and `:`, not \
                 starting with a digit)",
                "`9x` is not a valid metric name: Prometheus metric names match \
                 `[a-zA-Z_:][a-zA-Z0-9_:]*` (ASCII letters, digits, `_` and `:`, not \
                 starting with a digit)",
                "`le` is a reserved label name: histograms write it for their bucket bounds; \
                 name this label something else",
                "`quantile` is a reserved label name: summaries write it for their quantiles; \
                 name this label something else",
                "`result` is a label #[instrument_metrics] writes itself (how the call ended: \
                 `ok`, `error`, `cancelled` or `panic`); name this label something else",
                "`error` is a label #[instrument_metrics] writes itself (the variant of an \
                 error enum that is a LabelValue); name this label something else",
                "`__x` is a reserved label name: names starting with `__` are for Prometheus' \
                 internal use",
                "duplicate label `ok` in labels(…): each label needs its own name",
                // The bounds themselves are checked by `metric_options` (tested there).
                "bucket upper bounds must be strictly increasing: `0.5` comes after `1.0`",
            ]
        );
    }

    #[test]
    fn labels_buckets_and_summary_need_a_name() {
        let errors = check(
            quote!(labels(a = a), buckets = latency),
            quote!(fn f(a: u8)),
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("labels(…) needs `name = \"…\"`"));
        assert!(errors[1].starts_with("`buckets` needs `name = \"…\"`"));
        let errors = check(quote!(summary), quote!(fn f()));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`summary` needs `name = \"…\"`"));
    }

    #[test]
    fn summaries() {
        let cx = Ctxt::new();
        let mut args = Args::parse(
            &cx,
            quote!(
                name = "q",
                summary(quantiles = [0.99, 0.5], max_age = "1h30m")
            ),
        );
        let options = options(&cx, &mut args);
        assert!(cx.check().is_ok());
        let summary = options.summary.expect("summary");
        assert_eq!(summary.quantiles, Some(vec![0.99, 0.5]));
        assert_eq!(summary.max_age, Some(std::time::Duration::from_secs(5400)));
        assert_eq!(summary.age_buckets, None);

        let errors = check(
            quote! {
                name = "q", buckets = [1.0], skip(duration),
                summary(quantiles = [0.5, 1.5, 0.5], max_age = "5 minutes", age_buckets = 0)
            },
            quote!(fn f()),
        );
        assert_eq!(
            errors,
            [
                "`buckets` and `summary` are two ways to record durations (a histogram's \
                 buckets, or a summary's quantiles over a window): give one",
                "`summary` says how durations are recorded, and `skip(duration)` records \
                 none: give one",
                "the quantile `1.5` is not strictly between 0 and 1: a quantile is a \
                 fraction, like `0.5` (the median) or `0.99`",
                "the quantile `0.5` is given twice (first as `0.5`): give each once",
                "`max_age = \"5 minutes\"`: `5` has no unit; a duration is a whole number \
                 and a unit (`ms`, `s`, `m`, `h`), like \"30s\", \"5m\", \"1h\", \"500ms\" \
                 or \"1h30m\"",
                "`age_buckets` is a whole number from 1 to 1000: in how many slices the \
                 window is kept (the oldest slice is dropped as time passes), like \
                 `age_buckets = 5`",
            ]
        );
    }

    #[test]
    fn bucket_forms() {
        let errors = check(
            quote!(name = "x", buckets = [-1, -0.5, 0, 2.5e3]),
            quote!(fn f()),
        );
        assert!(errors.is_empty(), "{errors:?}");
        let errors = check(quote!(name = "x", buckets = []), quote!(fn f()));
        assert!(
            errors[0].starts_with("a histogram needs at least one bucket upper bound"),
            "{errors:?}"
        );
        let errors = check(quote!(name = "x", buckets = slow), quote!(fn f()));
        assert_eq!(
            errors,
            [
                "unknown bucket preset `slow`: expected `latency` or `http`, the bounds \
                 themselves, like `[0.01, 0.1, 1.0]`, or `exponential(start, factor, count)` \
                 / `linear(start, width, count)`"
            ]
        );
        let errors = check(
            quote!(name = "x", buckets = exponential(0.001, 0.5, 10)),
            quote!(fn f()),
        );
        assert!(
            errors[0].starts_with("the factor of exponential buckets must be greater than 1"),
            "{errors:?}"
        );
    }

    #[test]
    fn label_expressions_use_only_arguments() {
        let errors = check(
            quote! {
                name = "q",
                labels(a = tabel, b = self.x + offset, c = (|v: u8| v + 1)(n), d = Some(n),
                       e = { let t = n; t }, f = _hidden, g = CONST, h = m.len(), i = Point { x })
            },
            quote!(fn query(&self, n: u8, (m, _): (Vec<u8>, u8))),
        );
        assert_eq!(
            errors,
            [
                "`tabel` is not an argument of `query`; labels(...) expressions are evaluated \
                 from the arguments at the start of the call",
                "`offset` is not an argument of `query`; labels(...) expressions are evaluated \
                 from the arguments at the start of the call",
                "`_hidden` is not an argument of `query`; labels(...) expressions are evaluated \
                 from the arguments at the start of the call",
                "`x` is not an argument of `query`; labels(...) expressions are evaluated from \
                 the arguments at the start of the call",
            ]
        );
    }

    #[test]
    fn keyword_and_unusable_label_names() {
        let cx = Ctxt::new();
        let mut args = Args::parse(
            &cx,
            quote!(name = "q", labels(type = t, r#fn = t, self = t)),
        );
        let options = options(&cx, &mut args);
        let fields: Vec<String> = options.labels.iter().map(|l| l.field.to_string()).collect();
        assert_eq!(fields, ["r#type", "r#fn"]);
        let errors: Vec<String> = cx
            .check()
            .err()
            .map(|e| e.into_iter().map(|e| e.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`self` cannot be a label name"));
    }
}
