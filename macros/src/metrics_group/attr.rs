//! `#[metrics(…)]` on the struct and `#[metric(…)]` on its fields: which keys are allowed
//! where, and their parsing. Checks of one value (a bucket list, a scale) are made here, on
//! the value's tokens; checks across keys and fields are in `ast.rs`.

use proc_macro2::TokenTree;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta, Path, Token, Type, UnOp};

use super::naming;
use super::symbol::{
    self, BUCKETS, CONTAINER_KEYS, COUNTER, CRATE, GAUGE, HELP, KEY, Key, LABEL, LABELS, METRIC,
    METRICS, NAME, NESTED, PREFIX, SCALE, SKIP, SNAPSHOT, SNAPSHOT_FIELD_KEYS, UNIT,
};
use crate::ctxt::Ctxt;
use crate::krate::Krate;

/// The attributes of the struct: `#[metrics(prefix = "…", snapshot, labels = T, crate = "…")]`.
#[derive(Default)]
pub(super) struct ContainerAttrs {
    /// The runtime crate (`::promforge` unless `crate = "…"`).
    pub(super) krate: Krate,
    /// `crate = "…"` was given but is not a path: generated code would only add errors.
    pub(super) krate_invalid: bool,
    /// `prefix = "…"`.
    pub(super) prefix: Option<LitStr>,
    /// `snapshot`, as written (for errors on it).
    pub(super) snapshot: Option<Path>,
    /// `labels = Type`, and the key as written.
    pub(super) labels: Option<(Path, Type)>,
}

impl ContainerAttrs {
    /// Parses the `#[metrics(…)]`s of the struct (and reports a `#[metric(…)]` there).
    pub(super) fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        let mut krate_seen = false;
        for attr in attrs {
            if attr.path() == METRIC {
                cx.error_spanned_by(
                    attr.path(),
                    "#[metric(…)] goes on the fields of a MetricsGroup; on the struct, the \
                     attribute is #[metrics(…)]",
                );
                continue;
            }
            if attr.path() != METRICS {
                continue;
            }
            let result = attr.parse_nested_meta(|meta| {
                let outcome = (|| {
                    if meta.path == PREFIX {
                        once(out.prefix.is_some(), &meta, PREFIX)?;
                        out.prefix = Some(meta.value()?.parse()?);
                    } else if meta.path == SNAPSHOT {
                        once(out.snapshot.is_some(), &meta, SNAPSHOT)?;
                        no_value(&meta, SNAPSHOT, "#[metrics(snapshot)]")?;
                        out.snapshot = Some(meta.path.clone());
                    } else if meta.path == LABELS {
                        once(out.labels.is_some(), &meta, LABELS)?;
                        let ty: Type = meta.value()?.parse()?;
                        out.labels = Some((meta.path.clone(), ty));
                    } else if meta.path == CRATE {
                        once(krate_seen, &meta, CRATE)?;
                        krate_seen = true;
                        match Krate::parse(&meta) {
                            Ok(krate) => out.krate = krate,
                            Err(error) => {
                                out.krate_invalid = true;
                                return Err(error);
                            }
                        }
                    } else {
                        return Err(unknown_key(&meta, "#[metrics(…)]", CONTAINER_KEYS, None));
                    }
                    Ok(())
                })();
                if let Err(error) = outcome {
                    cx.syn_error(error);
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        out
    }
}

/// Which kind of group a field is in: the keys allowed differ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum GroupKind {
    /// A struct of metric handles.
    Live,
    /// A struct of values read at every scrape (`#[metrics(snapshot)]`).
    Snapshot,
}

impl GroupKind {
    fn keys(self) -> &'static [Key] {
        match self {
            Self::Live => symbol::LIVE_FIELD_KEYS,
            Self::Snapshot => SNAPSHOT_FIELD_KEYS,
        }
    }

    fn place(self) -> &'static str {
        match self {
            Self::Live => "a field of a MetricsGroup",
            Self::Snapshot => "a field of a snapshot MetricsGroup",
        }
    }
}

/// A histogram's bucket bounds.
pub(super) enum Buckets {
    /// `[0.005, 0.01, 1]`: checked here (not empty, finite, strictly increasing).
    List(Vec<f64>),
    /// `SOME_CONST`: a `&'static [f64]`, checked when the histogram is made.
    Expr(Box<Expr>),
}

/// A flag (`skip`, `nested`…) or a `key = value`, as written, with its value.
pub(super) struct Given<T> {
    /// The key as written (errors about the key point at it).
    pub(super) key: Path,
    pub(super) value: T,
}

/// The keys of the `#[metric(…)]`s of one field.
#[derive(Default)]
pub(super) struct FieldAttrs {
    pub(super) name: Option<Given<LitStr>>,
    pub(super) help: Option<Given<LitStr>>,
    pub(super) unit: Option<Given<LitStr>>,
    pub(super) buckets: Option<Given<Buckets>>,
    pub(super) scale: Option<Given<f64>>,
    pub(super) key: Option<Given<LitStr>>,
    pub(super) nested: Option<Path>,
    pub(super) skip: Option<Path>,
    pub(super) counter: Option<Path>,
    pub(super) gauge: Option<Path>,
    pub(super) label: Option<Path>,
}

impl FieldAttrs {
    /// Parses the `#[metric(…)]`s of a field of a group of `kind` (and reports a
    /// `#[metrics(…)]` there).
    pub(super) fn parse(cx: &Ctxt, attrs: &[Attribute], kind: GroupKind) -> Self {
        let mut out = Self::default();
        for attr in attrs {
            if attr.path() == METRICS {
                cx.error_spanned_by(
                    attr.path(),
                    "#[metrics(…)] goes on the struct; on a field, the attribute is #[metric(…)]",
                );
                continue;
            }
            if attr.path() != METRIC {
                continue;
            }
            let result = attr.parse_nested_meta(|meta| {
                if let Err(error) = out.parse_key(&meta, kind) {
                    cx.syn_error(error);
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        out
    }

    fn parse_key(&mut self, meta: &ParseNestedMeta<'_>, kind: GroupKind) -> syn::Result<()> {
        let Some(&key) = kind.keys().iter().find(|&&key| meta.path == key) else {
            let other = match kind {
                GroupKind::Live => SNAPSHOT_FIELD_KEYS
                    .iter()
                    .find(|&&key| meta.path == key)
                    .map(|key| {
                        format!(
                            "`{key}` is for fields of #[metrics(snapshot)] groups; in a live \
                             group the field's type (Counter, Gauge, Histogram, …) says what \
                             it is"
                        )
                    }),
                GroupKind::Snapshot => (meta.path == BUCKETS).then(|| {
                    "`buckets` is for Histogram fields of live groups; a snapshot group \
                     writes plain values"
                        .to_owned()
                }),
            };
            return Err(unknown_key(
                meta,
                &format!("#[metric(…)] on {}", kind.place()),
                kind.keys(),
                other,
            ));
        };
        let given = |value| Given {
            key: meta.path.clone(),
            value,
        };
        let given_buckets = |value| Given {
            key: meta.path.clone(),
            value,
        };
        let given_scale = |value| Given {
            key: meta.path.clone(),
            value,
        };
        // A flag given a value is still taken as given (`skip = true` is a skipped field
        // with an error on the value), so that no error follows from the field's role.
        let flag = |slot: &mut Option<Path>| -> syn::Result<()> {
            once(slot.is_some(), meta, key)?;
            *slot = Some(meta.path.clone());
            no_value(meta, key, &format!("#[metric({key})]"))
        };
        match key {
            NAME => {
                once(self.name.is_some(), meta, key)?;
                self.name = Some(given(non_empty(meta.value()?.parse()?, "a metric name")?));
            }
            HELP => {
                once(self.help.is_some(), meta, key)?;
                self.help = Some(given(non_empty(meta.value()?.parse()?, "help text")?));
            }
            UNIT => {
                once(self.unit.is_some(), meta, key)?;
                self.unit = Some(given(meta.value()?.parse()?));
            }
            KEY => {
                once(self.key.is_some(), meta, key)?;
                self.key = Some(given(meta.value()?.parse()?));
            }
            BUCKETS => {
                once(self.buckets.is_some(), meta, key)?;
                self.buckets = Some(given_buckets(parse_buckets(&meta.value()?.parse()?)?));
            }
            SCALE => {
                once(self.scale.is_some(), meta, key)?;
                self.scale = Some(given_scale(parse_scale(&meta.value()?.parse()?)?));
            }
            NESTED => flag(&mut self.nested)?,
            SKIP => flag(&mut self.skip)?,
            COUNTER => flag(&mut self.counter)?,
            GAUGE => flag(&mut self.gauge)?,
            LABEL => flag(&mut self.label)?,
            _ => {
                return Err(unknown_key(
                    meta,
                    &format!("#[metric(…)] on {}", kind.place()),
                    kind.keys(),
                    None,
                ));
            }
        }
        Ok(())
    }

    /// Every key given, as written, in the order of the table.
    pub(super) fn given_keys(&self) -> Vec<(Key, &Path)> {
        let values = [
            (NAME, self.name.as_ref().map(|g| &g.key)),
            (HELP, self.help.as_ref().map(|g| &g.key)),
            (UNIT, self.unit.as_ref().map(|g| &g.key)),
            (BUCKETS, self.buckets.as_ref().map(|g| &g.key)),
            (SCALE, self.scale.as_ref().map(|g| &g.key)),
            (KEY, self.key.as_ref().map(|g| &g.key)),
            (NESTED, self.nested.as_ref()),
            (SKIP, self.skip.as_ref()),
            (COUNTER, self.counter.as_ref()),
            (GAUGE, self.gauge.as_ref()),
            (LABEL, self.label.as_ref()),
        ];
        values
            .into_iter()
            .filter_map(|(key, path)| path.map(|path| (key, path)))
            .collect()
    }
}

/// The HELP text from the doc comment: its first paragraph, lines trimmed and joined with a
/// space. Doc attributes that are not string literals (`#[doc = include_str!(…)]`) are skipped.
pub(super) fn doc_help(attrs: &[Attribute]) -> Option<String> {
    let docs: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(meta) => match &meta.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    naming::first_paragraph(docs.iter().map(String::as_str))
}

fn non_empty(literal: LitStr, what: &str) -> syn::Result<LitStr> {
    if literal.value().trim().is_empty() {
        return Err(syn::Error::new(
            literal.span(),
            format!("{what} cannot be empty"),
        ));
    }
    Ok(literal)
}

/// A number literal (`1`, `0.5`, `-2`, `1e3`), as `f64`.
fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(literal),
            ..
        }) => literal.base10_parse().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal),
            ..
        }) => literal.base10_digits().parse().ok(),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => number(&unary.expr).map(|v| -v),
        Expr::Group(group) => number(&group.expr),
        Expr::Paren(paren) => number(&paren.expr),
        _ => None,
    }
}

/// An expression as the user wrote it, more or less (`-1`, not `- 1`).
fn text(expr: &Expr) -> String {
    expr.to_token_stream().to_string().replace(' ', "")
}

fn parse_buckets(expr: &Expr) -> syn::Result<Buckets> {
    let array = match expr {
        Expr::Array(array) => array,
        Expr::Path(_) | Expr::Field(_) => return Ok(Buckets::Expr(Box::new(expr.clone()))),
        _ => {
            return Err(syn::Error::new_spanned(
                expr,
                "expected a list of bucket upper bounds, like `buckets = [0.01, 0.1, 1.0]`, \
                 or the path of a `&'static [f64]` constant",
            ));
        }
    };
    if array.elems.is_empty() {
        return Err(syn::Error::new_spanned(
            array,
            "a histogram needs at least one bucket upper bound (the `+Inf` bucket is always \
             added)",
        ));
    }
    let mut errors: Option<syn::Error> = None;
    let mut push = |error: syn::Error| match &mut errors {
        Some(errors) => errors.combine(error),
        None => errors = Some(error),
    };
    let mut bounds = Vec::with_capacity(array.elems.len());
    let mut previous: Option<(f64, &Expr)> = None;
    for elem in &array.elems {
        let Some(bound) = number(elem) else {
            push(syn::Error::new_spanned(
                elem,
                "a bucket upper bound must be a number literal (the `+Inf` bucket is always \
                 added)",
            ));
            continue;
        };
        if !bound.is_finite() {
            push(syn::Error::new_spanned(
                elem,
                format!(
                    "the bucket upper bound `{}` is not a finite number (the `+Inf` bucket \
                     is always added)",
                    text(elem)
                ),
            ));
            continue;
        }
        if let Some((_, before_expr)) = previous.filter(|&(before, _)| bound <= before) {
            push(syn::Error::new_spanned(
                elem,
                format!(
                    "bucket upper bounds must be strictly increasing: `{}` comes after `{}`",
                    text(elem),
                    text(before_expr)
                ),
            ));
            continue;
        }
        previous = Some((bound, elem));
        bounds.push(bound);
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(Buckets::List(bounds)),
    }
}

fn parse_scale(expr: &Expr) -> syn::Result<f64> {
    let Some(scale) = number(expr) else {
        return Err(syn::Error::new_spanned(
            expr,
            "expected a number literal, like `scale = 0.001` (the value is multiplied by it)",
        ));
    };
    if !scale.is_finite() || scale == 0.0 {
        return Err(syn::Error::new_spanned(
            expr,
            format!(
                "`scale = {}`: the scale must be a finite number other than zero",
                text(expr)
            ),
        ));
    }
    Ok(scale)
}

fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    attribute: &str,
    keys: &[Key],
    note: Option<String>,
) -> syn::Error {
    let key = meta.path.to_token_stream().to_string().replace(' ', "");
    let suggestion = symbol::closest(&key, keys)
        .map(|close| format!(" (did you mean `{close}`?)"))
        .unwrap_or_default();
    let note = note.map(|note| format!("; {note}")).unwrap_or_default();
    syn::Error::new_spanned(
        &meta.path,
        format!(
            "unknown key `{key}` in {attribute}{suggestion}: expected {}{note}",
            symbol::list(keys)
        ),
    )
}

/// Reports a key given twice.
fn once(seen: bool, meta: &ParseNestedMeta<'_>, key: Key) -> syn::Result<()> {
    if seen {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!("duplicate `{key}`: give it once"),
        ));
    }
    Ok(())
}

/// Reports `flag = …` for a key that takes no value.
fn no_value(meta: &ParseNestedMeta<'_>, key: Key, written: &str) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!("`{key}` takes no value: write {written}"),
        ));
    }
    Ok(())
}

/// Skips what is left of a key's value (up to the next `,`), so that parsing goes on with the
/// next key after an error.
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
