//! `#[instrument_metrics(…)]`: the options as written, parsed into syntax (checked in
//! `check.rs`). Every mistake is recorded and parsing goes on with the next option.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, Ident, LitStr, Path, Token, token};

use crate::attr_util::{go_on, parse_nested_keys, skip_value, tokens_text};
use crate::ctxt::Ctxt;
use crate::krate::Krate;
use crate::symbol::{
    AGE_BUCKETS, BUCKET_FACTOR, BUCKETS, CALLS, CRATE, DURATION, EXEMPLARS, IN_FLIGHT, LABELS,
    MAX_AGE, MAX_BUCKETS, NAME, NATIVE, PREFIX, QUANTILES, REGISTRY, SKIP, SUMMARY, Symbol,
    ZERO_THRESHOLD,
};

/// The options, in the order the error message lists them.
pub(super) const OPTIONS: &[Symbol] = &[
    PREFIX, NAME, LABELS, BUCKETS, SUMMARY, NATIVE, SKIP, EXEMPLARS, REGISTRY, CRATE,
];
/// What `skip(…)` may name.
pub(super) const SKIP_ITEMS: &[Symbol] = &[CALLS, DURATION, IN_FLIGHT];
/// The settings of `summary(…)`.
pub(super) const SUMMARY_ITEMS: &[Symbol] = &[QUANTILES, MAX_AGE, AGE_BUCKETS];
/// The settings of `native(…)`.
pub(super) const NATIVE_ITEMS: &[Symbol] = &[BUCKET_FACTOR, ZERO_THRESHOLD, MAX_BUCKETS];

/// The attribute's arguments, as written.
#[derive(Default)]
pub(super) struct Args {
    /// `prefix = "…"`.
    pub(super) prefix: Option<LitStr>,
    /// `name = "…"`.
    pub(super) name: Option<LitStr>,
    /// `labels(…)`.
    pub(super) labels: Option<LabelsArg>,
    /// `buckets = …`.
    pub(super) buckets: Option<BucketsArg>,
    /// `summary` or `summary(…)`.
    pub(super) summary: Option<SummaryArg>,
    /// `native` or `native(…)`.
    pub(super) native: Option<NativeArg>,
    /// The items of `skip(…)`, each a known symbol.
    pub(super) skip: Vec<(Symbol, Path)>,
    /// The `skip` keyword of `skip(…)`.
    pub(super) skip_keyword: Option<Path>,
    /// A plain `skip` (no list).
    pub(super) plain_skip: Option<Path>,
    /// `exemplars = false` (or `true`, the default).
    pub(super) exemplars: Option<bool>,
    /// `registry = expr`.
    pub(super) registry: Option<Expr>,
    /// `crate = "…"`.
    pub(super) krate: Krate,
}

/// `labels(name = expr, …)`.
pub(super) struct LabelsArg {
    /// The `labels` keyword, where "needs a name" is reported.
    pub(super) keyword: Path,
    /// Each label, in order.
    pub(super) entries: Vec<LabelArg>,
}

/// `name = expr` in `labels(…)`.
pub(super) struct LabelArg {
    /// The label's name, as the user wrote it.
    pub(super) ident: Ident,
    /// The expression evaluated at the start of each call.
    pub(super) expr: Expr,
}

/// `buckets = …`.
pub(super) struct BucketsArg {
    /// The `buckets` keyword.
    pub(super) keyword: Path,
    /// The value, as written (a list, a preset, a generator call; checked later).
    pub(super) value: Expr,
}

/// `summary` or `summary(quantiles = …, max_age = "…", age_buckets = …)`.
pub(super) struct SummaryArg {
    /// The `summary` keyword.
    pub(super) keyword: Path,
    /// `quantiles = […]`, as written.
    pub(super) quantiles: Option<Expr>,
    /// `max_age = "…"`.
    pub(super) max_age: Option<LitStr>,
    /// `age_buckets = n`, as written.
    pub(super) age_buckets: Option<Expr>,
}

/// `native` or `native(bucket_factor = …, zero_threshold = …, max_buckets = …)`.
pub(super) struct NativeArg {
    /// The `native` keyword.
    pub(super) keyword: Path,
    /// `bucket_factor = x`, as written.
    pub(super) bucket_factor: Option<Expr>,
    /// `zero_threshold = x`, as written.
    pub(super) zero_threshold: Option<Expr>,
    /// `max_buckets = n`, as written.
    pub(super) max_buckets: Option<Expr>,
}

impl Args {
    /// Parses the arguments of the attribute; mistakes go to `cx`.
    pub(super) fn parse(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut args = Self::default();
        let mut seen: Vec<Symbol> = Vec::new();
        let parser = syn::meta::parser(|meta| {
            let outcome = match OPTIONS.iter().find(|&&key| meta.path == key) {
                Some(&key) => {
                    if seen.contains(&key) {
                        Err(syn::Error::new_spanned(
                            &meta.path,
                            format!("duplicate option `{key}`: give each option once"),
                        ))
                    } else {
                        seen.push(key);
                        args.option(cx, key, &meta)
                    }
                }
                None => Err(syn::Error::new_spanned(
                    &meta.path,
                    format!(
                        "unknown option `{}`: expected one of {}",
                        tokens_text(&meta.path),
                        one_of(OPTIONS)
                    ),
                )),
            };
            go_on(cx, &meta, outcome)
        });
        if let Err(error) = parser.parse2(tokens) {
            cx.syn_error(error);
        }
        args
    }

    fn option(&mut self, cx: &Ctxt, key: Symbol, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        if key == PREFIX {
            self.prefix = Some(meta.value()?.parse()?);
        } else if key == NAME {
            self.name = Some(meta.value()?.parse()?);
        } else if key == LABELS {
            self.labels = Some(parse_labels(cx, meta)?);
        } else if key == BUCKETS {
            self.buckets = Some(BucketsArg {
                keyword: meta.path.clone(),
                value: meta.value()?.parse()?,
            });
        } else if key == SUMMARY {
            self.summary = Some(parse_summary(cx, meta)?);
        } else if key == NATIVE {
            self.native = Some(parse_native(cx, meta)?);
        } else if key == SKIP {
            if meta.input.peek(token::Paren) {
                self.skip_keyword = Some(meta.path.clone());
                self.skip = parse_skip_items(cx, meta)?;
            } else if meta.input.peek(Token![=]) {
                return Err(meta.error(format!(
                    "`skip` takes a list of what not to record, like `skip(in_flight)`: \
                     one or more of {}; or plain `skip` on a method of an instrumented \
                     impl block to leave it alone",
                    one_of(SKIP_ITEMS)
                )));
            } else {
                self.plain_skip = Some(meta.path.clone());
            }
        } else if key == EXEMPLARS {
            const USAGE: &str = "`exemplars` takes `false` (this function's durations keep \
                                 no automatic exemplar) or `true` (the default)";
            if !meta.input.peek(Token![=]) {
                return Err(meta.error(USAGE));
            }
            let value: Expr = meta.value()?.parse()?;
            match &value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(b),
                    ..
                }) => self.exemplars = Some(b.value),
                _ => return Err(syn::Error::new_spanned(&value, USAGE)),
            }
        } else if key == REGISTRY {
            self.registry = Some(meta.value()?.parse()?);
        } else if key == CRATE {
            self.krate = Krate::parse(meta)?;
        }
        Ok(())
    }
}

fn parse_labels(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<LabelsArg> {
    let mut entries = Vec::new();
    if !meta.input.peek(token::Paren) {
        return Err(meta.error(
            "`labels` takes a list of labels from the arguments, like \
             `labels(table = table, shard = self.shard_id)`",
        ));
    }
    parse_nested_keys(cx, meta, |entry| {
        let Some(ident) = entry.path.get_ident() else {
            return Err(syn::Error::new_spanned(
                &entry.path,
                format!(
                    "`{}` is not a label name: a label is written `name = expression`, with an \
                     identifier for the name",
                    tokens_text(&entry.path)
                ),
            ));
        };
        if !entry.input.peek(Token![=]) {
            return Err(entry.error(format!(
                "a label is written `name = expression`: `{ident} = {ident}` takes the \
                 argument `{ident}` as it is at the start of the call"
            )));
        }
        let expr: Expr = entry.value()?.parse()?;
        entries.push(LabelArg {
            ident: ident.clone(),
            expr,
        });
        Ok(())
    })?;
    Ok(LabelsArg {
        keyword: meta.path.clone(),
        entries,
    })
}

/// `summary`, or `summary(…)` with the summary's settings (each checked later).
fn parse_summary(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<SummaryArg> {
    let mut summary = SummaryArg {
        keyword: meta.path.clone(),
        quantiles: None,
        max_age: None,
        age_buckets: None,
    };
    if meta.input.peek(Token![=]) {
        return Err(meta.error(format!(
            "write `summary` (the default quantiles and window) or `summary(…)` with one or \
             more of {}, like `summary(quantiles = [0.5, 0.99], max_age = \"5m\")`",
            one_of(SUMMARY_ITEMS)
        )));
    }
    if !meta.input.peek(token::Paren) {
        return Ok(summary);
    }
    parse_nested_keys(cx, meta, |item| {
        let Some(&key) = SUMMARY_ITEMS.iter().find(|&&known| item.path == known) else {
            return Err(syn::Error::new_spanned(
                &item.path,
                format!(
                    "unknown setting `{}` in summary(…): expected one of {}",
                    tokens_text(&item.path),
                    one_of(SUMMARY_ITEMS)
                ),
            ));
        };
        let given = if key == QUANTILES {
            summary.quantiles.is_some()
        } else if key == MAX_AGE {
            summary.max_age.is_some()
        } else {
            summary.age_buckets.is_some()
        };
        if given {
            return Err(syn::Error::new_spanned(
                &item.path,
                format!("duplicate `{key}` in summary(…): give it once"),
            ));
        }
        let value = item.value()?;
        if key == QUANTILES {
            summary.quantiles = Some(value.parse()?);
        } else if key == MAX_AGE {
            summary.max_age = Some(value.parse()?);
        } else {
            summary.age_buckets = Some(value.parse()?);
        }
        Ok(())
    })?;
    Ok(summary)
}

/// `native`, or `native(…)` with the histogram's settings (each checked later).
fn parse_native(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<NativeArg> {
    let mut native = NativeArg {
        keyword: meta.path.clone(),
        bucket_factor: None,
        zero_threshold: None,
        max_buckets: None,
    };
    if meta.input.peek(Token![=]) {
        return Err(meta.error(format!(
            "write `native` (the default settings) or `native(…)` with one or more of {}, \
             like `native(bucket_factor = 1.1, max_buckets = 160)`",
            one_of(NATIVE_ITEMS)
        )));
    }
    if !meta.input.peek(token::Paren) {
        return Ok(native);
    }
    parse_nested_keys(cx, meta, |item| {
        let Some(&key) = NATIVE_ITEMS.iter().find(|&&known| item.path == known) else {
            return Err(syn::Error::new_spanned(
                &item.path,
                format!(
                    "unknown setting `{}` in native(…): expected one of {}",
                    tokens_text(&item.path),
                    one_of(NATIVE_ITEMS)
                ),
            ));
        };
        let slot = if key == BUCKET_FACTOR {
            &mut native.bucket_factor
        } else if key == ZERO_THRESHOLD {
            &mut native.zero_threshold
        } else {
            &mut native.max_buckets
        };
        if slot.is_some() {
            return Err(syn::Error::new_spanned(
                &item.path,
                format!("duplicate `{key}` in native(…): give it once"),
            ));
        }
        *slot = Some(item.value()?.parse()?);
        Ok(())
    })?;
    Ok(native)
}

fn parse_skip_items(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<(Symbol, Path)>> {
    let mut items: Vec<(Symbol, Path)> = Vec::new();
    meta.parse_nested_meta(|item| {
        let outcome = match SKIP_ITEMS.iter().find(|&&known| item.path == known) {
            Some(&known) if items.iter().any(|(seen, _)| *seen == known) => {
                Err(syn::Error::new_spanned(
                    &item.path,
                    format!("`{known}` is already skipped: name it once"),
                ))
            }
            Some(&known) => {
                items.push((known, item.path.clone()));
                Ok(())
            }
            None => Err(syn::Error::new_spanned(
                &item.path,
                format!(
                    "unknown metric `{}` in skip(…): expected one of {}",
                    tokens_text(&item.path),
                    one_of(SKIP_ITEMS)
                ),
            )),
        };
        if let Err(error) = outcome {
            cx.syn_error(error);
        }
        skip_value(&item)
    })?;
    Ok(items)
}

/// `` `a`, `b`, `c` `` for an error message.
pub(super) fn one_of(symbols: &[Symbol]) -> String {
    symbols
        .iter()
        .map(|symbol| format!("`{symbol}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse(tokens: TokenStream) -> (Args, Vec<String>) {
        let cx = Ctxt::new();
        let args = Args::parse(&cx, tokens);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        };
        (args, errors)
    }

    #[test]
    fn every_option() {
        let (args, errors) = parse(quote! {
            prefix = "observer", name = "db_query",
            labels(table = table, shard = self.shard_id),
            buckets = [0.001, 0.01, 1], skip(in_flight, calls),
            registry = crate::METRICS, crate = "::renamed"
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.prefix.map(|l| l.value()).as_deref(), Some("observer"));
        assert_eq!(args.name.map(|l| l.value()).as_deref(), Some("db_query"));
        let labels = args.labels.expect("labels");
        let names: Vec<String> = labels.entries.iter().map(|e| e.ident.to_string()).collect();
        assert_eq!(names, ["table", "shard"]);
        assert!(matches!(
            args.buckets.map(|b| b.value),
            Some(Expr::Array(array)) if array.elems.len() == 3
        ));
        let skipped: Vec<Symbol> = args.skip.iter().map(|(s, _)| *s).collect();
        assert_eq!(skipped, [IN_FLIGHT, CALLS]);
        assert!(args.plain_skip.is_none());
        assert!(args.registry.is_some());
    }

    #[test]
    fn nothing_and_plain_skip_and_preset() {
        assert!(parse(TokenStream::new()).1.is_empty());
        let (args, errors) = parse(quote!(skip));
        assert!(errors.is_empty() && args.plain_skip.is_some());
        let (args, errors) = parse(quote!(buckets = http));
        assert!(errors.is_empty());
        assert!(matches!(
            args.buckets.map(|b| b.value),
            Some(Expr::Path(path)) if path.path.is_ident("http")
        ));
        let (args, errors) = parse(quote!(buckets = exponential(0.001, 2.0, 10)));
        assert!(errors.is_empty());
        assert!(matches!(args.buckets.map(|b| b.value), Some(Expr::Call(_))));
    }

    #[test]
    fn summaries() {
        let (args, errors) = parse(quote!(name = "x", summary));
        assert!(errors.is_empty(), "{errors:?}");
        let summary = args.summary.expect("summary");
        assert!(summary.quantiles.is_none() && summary.max_age.is_none());
        let (args, errors) = parse(quote! {
            summary(quantiles = [0.5, 0.99], max_age = "5m", age_buckets = 3), name = "x"
        });
        assert!(errors.is_empty(), "{errors:?}");
        let summary = args.summary.expect("summary");
        assert!(summary.quantiles.is_some() && summary.age_buckets.is_some());
        assert_eq!(summary.max_age.map(|l| l.value()).as_deref(), Some("5m"));
        assert_eq!(args.name.map(|l| l.value()).as_deref(), Some("x"));
        let (_, errors) = parse(quote! {
            summary(quantile = [0.5], max_age = "5m", max_age = "1m"), summary = true
        });
        assert_eq!(
            errors,
            [
                "unknown setting `quantile` in summary(…): expected one of `quantiles`, \
                 `max_age`, `age_buckets`",
                "duplicate `max_age` in summary(…): give it once",
                "duplicate option `summary`: give each option once",
            ]
        );
        let (_, errors) = parse(quote!(summary = true));
        assert!(
            errors[0].starts_with("write `summary` (the default quantiles"),
            "{errors:?}"
        );
    }

    #[test]
    fn every_mistake_is_reported_and_parsing_goes_on() {
        let (args, errors) = parse(quote! {
            bukets = [1.0], skip(calls, latency, calls), name = "a", name = "b",
            labels(a::b = x, c, d = y), prefix = 3, registry = REG
        });
        assert_eq!(
            errors,
            [
                "unknown option `bukets`: expected one of `prefix`, `name`, `labels`, \
                 `buckets`, `summary`, `native`, `skip`, `exemplars`, `registry`, `crate`",
                "unknown metric `latency` in skip(…): expected one of `calls`, `duration`, \
                 `in_flight`",
                "`calls` is already skipped: name it once",
                "duplicate option `name`: give each option once",
                "`a::b` is not a label name: a label is written `name = expression`, with an \
                 identifier for the name",
                "a label is written `name = expression`: `c = c` takes the argument `c` as it \
                 is at the start of the call",
                "expected string literal",
            ]
        );
        assert_eq!(args.name.map(|l| l.value()).as_deref(), Some("a"));
        assert_eq!(args.labels.map(|l| l.entries.len()), Some(1));
        assert!(
            args.registry.is_some(),
            "the options after a mistake are read"
        );
    }

    #[test]
    fn malformed_values() {
        let (_, errors) = parse(quote!(skip = calls, buckets = , labels = x));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("`skip` takes a list"));
        assert!(errors[1].starts_with("expected an expression"));
        assert!(errors[2].starts_with("`labels` takes a list"));
    }
}
