//! `#[instrument_metrics(…)]`: the options as written, parsed into syntax (checked in
//! `check.rs`). Every mistake is recorded and parsing goes on with the next option.

use proc_macro2::{TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Path, Token, bracketed, token};

use crate::ctxt::Ctxt;
use crate::krate::Krate;
use crate::symbol::{
    BUCKETS, CALLS, CRATE, DURATION, HTTP, IN_FLIGHT, LABELS, LATENCY, NAME, PREFIX, REGISTRY,
    SKIP, Symbol,
};

/// The options, in the order the error message lists them.
pub(super) const OPTIONS: &[Symbol] = &[PREFIX, NAME, LABELS, BUCKETS, SKIP, REGISTRY, CRATE];
/// What `skip(…)` may name.
pub(super) const SKIP_ITEMS: &[Symbol] = &[CALLS, DURATION, IN_FLIGHT];
/// The presets of `buckets = …`.
pub(super) const BUCKET_PRESETS: &[Symbol] = &[LATENCY, HTTP];

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
    /// The items of `skip(…)`, each a known symbol.
    pub(super) skip: Vec<(Symbol, Path)>,
    /// A plain `skip` (no list).
    pub(super) plain_skip: Option<Path>,
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
    /// The value.
    pub(super) value: BucketsValue,
}

/// The value of `buckets = …`.
pub(super) enum BucketsValue {
    /// `buckets = latency`: a preset, by name (checked later).
    Preset(Ident),
    /// `buckets = [0.1, 1.0]`.
    List {
        /// The brackets, where "empty" is reported.
        bracket: token::Bracket,
        /// The bounds, as written (each checked later).
        items: Punctuated<Expr, Token![,]>,
    },
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
                        path_text(&meta.path),
                        one_of(OPTIONS)
                    ),
                )),
            };
            if let Err(error) = outcome {
                cx.syn_error(error);
                skip_value(&meta)?;
            }
            Ok(())
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
            self.buckets = Some(parse_buckets(meta)?);
        } else if key == SKIP {
            if meta.input.peek(token::Paren) {
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
    meta.parse_nested_meta(|entry| {
        let outcome = (|| {
            let Some(ident) = entry.path.get_ident() else {
                return Err(syn::Error::new_spanned(
                    &entry.path,
                    format!(
                        "`{}` is not a label name: a label is written `name = expression`, \
                         with an identifier for the name",
                        path_text(&entry.path)
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
        })();
        if let Err(error) = outcome {
            cx.syn_error(error);
            skip_value(&entry)?;
        }
        Ok(())
    })?;
    Ok(LabelsArg {
        keyword: meta.path.clone(),
        entries,
    })
}

fn parse_buckets(meta: &ParseNestedMeta<'_>) -> syn::Result<BucketsArg> {
    let value = meta.value()?;
    let parsed = if value.peek(token::Bracket) {
        let content;
        let bracket = bracketed!(content in value);
        let items = Punctuated::parse_terminated(&content)?;
        BucketsValue::List { bracket, items }
    } else if value.peek(Ident) {
        BucketsValue::Preset(value.parse()?)
    } else {
        return Err(value.error(format!(
            "expected the bucket bounds, like `buckets = [0.01, 0.1, 1.0]`, or a preset: {}",
            one_of(BUCKET_PRESETS)
        )));
    };
    Ok(BucketsArg {
        keyword: meta.path.clone(),
        value: parsed,
    })
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
                    path_text(&item.path),
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

/// A path as the user wrote it, without the spaces of `to_string`.
fn path_text(path: &Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}

/// Skips what is left of an option's value (up to the next `,`), so that parsing goes on
/// with the next option after an error.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    meta.input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
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
            Some(BucketsValue::List { items, .. }) if items.len() == 3
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
            Some(BucketsValue::Preset(ident)) if ident == "http"
        ));
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
                 `buckets`, `skip`, `registry`, `crate`",
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
        let (_, errors) = parse(quote!(skip = calls, buckets = 1.0, labels = x));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("`skip` takes a list"));
        assert!(errors[1].starts_with("expected the bucket bounds"));
        assert!(errors[2].starts_with("`labels` takes a list"));
    }
}
