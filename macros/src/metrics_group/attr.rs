//! `#[metrics(…)]` on the struct and `#[metric(…)]` on its fields: which keys are allowed
//! where, and their parsing. Checks of one value (a bucket list, a scale) are made here, on
//! the value's tokens; checks across keys and fields are in `check.rs`.

use std::time::Duration;

use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitStr, Meta, Path, Token, Type};

use super::naming;
use super::symbol::{
    self, AGE_BUCKETS, AVG, BUCKETS, CONTAINER_KEYS, COUNT, COUNTER, CRATE, GAUGE, HELP, KEY, Key,
    LABEL, LABELS, MAX_AGE, METRIC, METRICS, NAME, NESTED, PREFIX, QUANTILES, SCALE, SKIP,
    SNAPSHOT, SNAPSHOT_CONTAINER_KEYS, SNAPSHOT_FIELD_KEYS, SUM, SUMMARY, SUMMARY_KEYS, UNIT,
};
use crate::attr_util::{number, parse_keys, parse_nested_keys, skip_value, tokens_text};
use crate::ctxt::Ctxt;
use crate::krate::Krate;
use crate::metric_options::{self, Buckets};

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
    /// Each `summary(…)`, in the order written.
    pub(super) summaries: Vec<SummaryAttr>,
}

/// `summary(name = "…", sum = field | avg = field, count = field, scale = …, help = "…")`:
/// a summary family from aggregates the struct keeps. The checks across keys (one of `sum`
/// and `avg`, `count`, `name` and `help` given) are made when parsing; the fields named and
/// the name's unit are checked in `check.rs`.
pub(super) struct SummaryAttr {
    /// `summary`, as written (errors about the whole summary point at it).
    pub(super) key: Path,
    pub(super) name: Option<LitStr>,
    pub(super) sum: Option<Given<Ident>>,
    pub(super) avg: Option<Given<Ident>>,
    pub(super) count: Option<Given<Ident>>,
    pub(super) scale: Option<Given<Scale>>,
    pub(super) help: Option<Given<LitStr>>,
    /// Whether a key failed to parse (then no error about a missing key is added).
    pub(super) broken: bool,
}

impl SummaryAttr {
    /// Parses the inside of `summary(…)`; errors go to `cx`, and the summary is returned
    /// whatever they were (with `broken` set, or incomplete).
    fn parse(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Self> {
        let mut out = Self {
            key: meta.path.clone(),
            name: None,
            sum: None,
            avg: None,
            count: None,
            scale: None,
            help: None,
            broken: false,
        };
        if !meta.input.peek(syn::token::Paren) {
            return Err(syn::Error::new_spanned(
                &meta.path,
                "expected `summary(name = \"…\", sum = field, count = field, help = \"…\")`",
            ));
        }
        parse_nested_keys(cx, meta, |inner| {
            let outcome = out.parse_key(inner);
            out.broken |= outcome.is_err();
            outcome
        })?;
        if out.broken {
            return Ok(out);
        }
        if let (Some(_), Some(avg)) = (&out.sum, &out.avg) {
            cx.error_spanned_by(
                &avg.key,
                "give `sum = field` (the total of the observations) or `avg = field` (their \
                 average; the sum is avg × count), not both",
            );
        }
        let mut missing = Vec::new();
        if out.name.is_none() {
            missing.push("`name = \"…\"` (the family's name after the prefix, ending in its base unit, like \"processing_seconds\")");
        }
        if out.sum.is_none() && out.avg.is_none() {
            missing.push("`sum = field` (the field holding the total of the observations) or `avg = field` (the field holding their average)");
        }
        if out.count.is_none() {
            missing.push("`count = field` (the field holding the number of observations)");
        }
        if out.help.is_none() {
            missing.push("`help = \"…\"` (the HELP text: a summary has no field whose doc comment could give it)");
        }
        if !missing.is_empty() {
            cx.error_spanned_by(
                &out.key,
                format!("this summary needs {}", missing.join(", and ")),
            );
        }
        Ok(out)
    }

    fn parse_key(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let field = |key: Key| -> syn::Result<Ident> {
            let expr: Expr = meta.value()?.parse()?;
            match &expr {
                Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
                    if let Some(ident) = path.path.get_ident() {
                        return Ok(ident.clone());
                    }
                }
                _ => {}
            }
            Err(syn::Error::new_spanned(
                &expr,
                format!("`{key}` names a field of the struct: write `{key} = field_name`"),
            ))
        };
        if meta.path == NAME {
            once(self.name.is_some(), meta, NAME)?;
            self.name = Some(non_empty(meta.value()?.parse()?, "a metric name")?);
        } else if meta.path == SUM {
            once(self.sum.is_some(), meta, SUM)?;
            self.sum = Some(Given::at(meta, field(SUM)?));
        } else if meta.path == AVG {
            once(self.avg.is_some(), meta, AVG)?;
            self.avg = Some(Given::at(meta, field(AVG)?));
        } else if meta.path == COUNT {
            once(self.count.is_some(), meta, COUNT)?;
            self.count = Some(Given::at(meta, field(COUNT)?));
        } else if meta.path == SCALE {
            once(self.scale.is_some(), meta, SCALE)?;
            self.scale = Some(Given::at(meta, parse_scale(&meta.value()?.parse()?)?));
        } else if meta.path == HELP {
            once(self.help.is_some(), meta, HELP)?;
            let help = non_empty(meta.value()?.parse()?, "help text")?;
            self.help = Some(Given::at(meta, help));
        } else {
            let note = ["quantiles", "quantile", "buckets", "max_age", "age_buckets"]
                .iter()
                .any(|key| meta.path.is_ident(key))
                .then(|| {
                    "a summary made from aggregates has `_sum` and `_count` only: the \
                     program keeps a total (or an average) and a count, not the observations"
                        .to_owned()
                });
            return Err(unknown_key(
                meta,
                "#[metrics(summary(…))]",
                SUMMARY_KEYS,
                note,
            ));
        }
        Ok(())
    }
}

impl ContainerAttrs {
    /// Parses the `#[metrics(…)]`s of the struct (and reports a `#[metric(…)]` there).
    pub(super) fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        let mut krate_seen = false;
        // Unknown keys are reported at the end: the keys listed depend on `snapshot`, which
        // may come after them.
        let mut unknown: Vec<Path> = Vec::new();
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
            parse_keys(cx, attr, |meta| {
                if meta.path == PREFIX {
                    once(out.prefix.is_some(), meta, PREFIX)?;
                    out.prefix = Some(meta.value()?.parse()?);
                } else if meta.path == SNAPSHOT {
                    once(out.snapshot.is_some(), meta, SNAPSHOT)?;
                    no_value(meta, SNAPSHOT, "#[metrics(snapshot)]")?;
                    out.snapshot = Some(meta.path.clone());
                } else if meta.path == LABELS {
                    once(out.labels.is_some(), meta, LABELS)?;
                    let ty: Type = meta.value()?.parse()?;
                    out.labels = Some((meta.path.clone(), ty));
                } else if meta.path == SUMMARY {
                    out.summaries.push(SummaryAttr::parse(cx, meta)?);
                } else if meta.path == CRATE {
                    once(krate_seen, meta, CRATE)?;
                    krate_seen = true;
                    match Krate::parse(meta) {
                        Ok(krate) => out.krate = krate,
                        Err(error) => {
                            out.krate_invalid = true;
                            return Err(error);
                        }
                    }
                } else {
                    unknown.push(meta.path.clone());
                    skip_value(meta)?;
                }
                Ok(())
            });
        }
        let keys = if out.snapshot.is_some() {
            SNAPSHOT_CONTAINER_KEYS
        } else {
            CONTAINER_KEYS
        };
        for path in &unknown {
            cx.syn_error(unknown_key_at(path, "#[metrics(…)]", keys, None));
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

/// A flag (`skip`, `nested`…) or a `key = value`, as written, with its value.
pub(super) struct Given<T> {
    /// The key as written (errors about the key point at it).
    pub(super) key: Path,
    pub(super) value: T,
}

impl<T> Given<T> {
    /// `value`, given with the key `meta` is at.
    fn at(meta: &ParseNestedMeta<'_>, value: T) -> Self {
        Self {
            key: meta.path.clone(),
            value,
        }
    }
}

/// The keys of the `#[metric(…)]`s of one field.
#[derive(Default)]
pub(super) struct FieldAttrs {
    pub(super) name: Option<Given<LitStr>>,
    pub(super) help: Option<Given<LitStr>>,
    pub(super) unit: Option<Given<LitStr>>,
    /// `buckets = …`: checked by `metric_options` (lists, presets, generators, paths).
    pub(super) buckets: Option<Given<Buckets>>,
    /// `quantiles = […]` of a `Summary` field.
    pub(super) quantiles: Option<Given<Vec<f64>>>,
    /// `max_age = "…"` of a `Summary` field.
    pub(super) max_age: Option<Given<Duration>>,
    /// `age_buckets = n` of a `Summary` field.
    pub(super) age_buckets: Option<Given<usize>>,
    pub(super) scale: Option<Given<Scale>>,
    pub(super) key: Option<Given<LitStr>>,
    /// `labels(name = "value", …)`: fixed labels on a value's samples.
    pub(super) labels: Option<Given<Vec<FixedLabel>>>,
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
            parse_keys(cx, attr, |meta| out.parse_key(meta, kind));
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
                        if *key == LABELS {
                            return "`labels(…)` is for value fields of #[metrics(snapshot)] \
                                    groups; in a live group, a `Family<Labels, Counter>` field \
                                    has labels"
                                .to_owned();
                        }
                        format!(
                            "`{key}` is for fields of #[metrics(snapshot)] groups; in a live \
                             group the field's type (Counter, Gauge, Histogram, …) says what \
                             it is"
                        )
                    }),
                GroupKind::Snapshot => [BUCKETS, QUANTILES, MAX_AGE, AGE_BUCKETS]
                    .into_iter()
                    .find(|&key| meta.path == key)
                    .map(|key| {
                        let metric = if key == BUCKETS {
                            "Histogram"
                        } else {
                            "Summary"
                        };
                        format!(
                            "`{key}` is for {metric} fields of live groups; a snapshot group \
                             writes plain values"
                        )
                    }),
            };
            return Err(unknown_key(
                meta,
                &format!("#[metric(…)] on {}", kind.place()),
                kind.keys(),
                other,
            ));
        };
        let given = |value| Given::at(meta, value);
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
                // Kept even when empty, so that the field has no "no help text" error too.
                let literal: LitStr = meta.value()?.parse()?;
                let checked = non_empty(literal.clone(), "help text");
                self.help = Some(given(literal));
                checked?;
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
                let value = Buckets::parse(&meta.value()?.parse()?, true)?;
                self.buckets = Some(Given::at(meta, value));
            }
            QUANTILES => {
                once(self.quantiles.is_some(), meta, key)?;
                let value = metric_options::parse_quantiles(&meta.value()?.parse()?)?;
                self.quantiles = Some(Given::at(meta, value));
            }
            MAX_AGE => {
                once(self.max_age.is_some(), meta, key)?;
                let value = metric_options::parse_max_age(&meta.value()?.parse()?)?;
                self.max_age = Some(Given::at(meta, value));
            }
            AGE_BUCKETS => {
                once(self.age_buckets.is_some(), meta, key)?;
                let value = metric_options::parse_age_buckets(&meta.value()?.parse()?)?;
                self.age_buckets = Some(Given::at(meta, value));
            }
            SCALE => {
                once(self.scale.is_some(), meta, key)?;
                self.scale = Some(Given::at(meta, parse_scale(&meta.value()?.parse()?)?));
            }
            LABELS => {
                once(self.labels.is_some(), meta, key)?;
                self.labels = Some(Given::at(meta, parse_fixed_labels(meta)?));
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
            (QUANTILES, self.quantiles.as_ref().map(|g| &g.key)),
            (MAX_AGE, self.max_age.as_ref().map(|g| &g.key)),
            (AGE_BUCKETS, self.age_buckets.as_ref().map(|g| &g.key)),
            (SCALE, self.scale.as_ref().map(|g| &g.key)),
            (KEY, self.key.as_ref().map(|g| &g.key)),
            (LABELS, self.labels.as_ref().map(|g| &g.key)),
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

/// A label with a fixed value, from `labels(name = "value")` on a snapshot value field.
pub(super) struct FixedLabel {
    /// The label name, as written (a keyword such as `type` is fine).
    pub(super) name: Ident,
    pub(super) value: LitStr,
}

/// Parses `labels(name = "value", …)`.
fn parse_fixed_labels(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<FixedLabel>> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            "expected `labels(name = \"value\", …)`: labels with fixed values on this \
             field's samples",
        ));
    }
    let mut labels = Vec::new();
    meta.parse_nested_meta(|inner| {
        let Some(name) = inner.path.get_ident() else {
            return Err(syn::Error::new_spanned(
                &inner.path,
                "expected a label name, like `labels(result = \"completed\")`",
            ));
        };
        let value: Expr = inner.value()?.parse()?;
        let Expr::Lit(ExprLit {
            lit: Lit::Str(value),
            ..
        }) = value
        else {
            return Err(syn::Error::new_spanned(
                &value,
                "a fixed label value is a string literal, like `labels(result = \"completed\")`",
            ));
        };
        labels.push(FixedLabel {
            name: name.clone(),
            value,
        });
        Ok(())
    })?;
    if labels.is_empty() {
        return Err(syn::Error::new_spanned(
            &meta.path,
            "`labels()` is empty: give at least one `name = \"value\"`",
        ));
    }
    Ok(labels)
}

impl FixedLabel {
    /// The label name, without `r#`.
    pub(super) fn name(&self) -> String {
        self.name.unraw().to_string()
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

/// How a value is converted (`scale = …`): multiplied by a factor, or divided by a number
/// when the scale is the reciprocal of a whole number (`0.001`, `1e-6`, `"1/1000"`), so that
/// the value printed is the correctly rounded quotient (`250.5 / 1e6` is `0.0002505`, where
/// `250.5 * 1e-6` is `0.00025049999999999996`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Scale {
    Times(f64),
    Per(f64),
}

impl Scale {
    /// No conversion.
    pub(super) const ONE: Self = Self::Times(1.0);

    /// A factor, as a division when it is the reciprocal of a whole number.
    pub(super) fn of(factor: f64) -> Self {
        let reciprocal = 1.0 / factor;
        let rounded = reciprocal.round();
        if factor.abs() < 1.0 && rounded != 0.0 && ((reciprocal - rounded) / rounded).abs() < 1e-12
        {
            Self::Per(rounded)
        } else {
            Self::Times(factor)
        }
    }
}

/// `scale = 0.001`, `scale = 1024`, or a fraction in a string, `scale = "1/1000"`.
fn parse_scale(expr: &Expr) -> syn::Result<Scale> {
    const EXPECTED: &str = "expected a number literal or a fraction, like `scale = 1024`, \
                            `scale = 0.001` or `scale = \"1/1000\"` (the value is multiplied by \
                            it)";
    let scale = match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            let text = text.value();
            let parts: Vec<Option<f64>> = text
                .split('/')
                .map(|part| part.trim().replace('_', "").parse::<f64>().ok())
                .collect();
            match parts.as_slice() {
                [Some(numerator), Some(denominator)] if *denominator != 0.0 => {
                    if *numerator == 1.0 && denominator.is_finite() && denominator.fract() == 0.0 {
                        if *denominator == 1.0 {
                            Scale::ONE
                        } else {
                            Scale::Per(*denominator)
                        }
                    } else {
                        Scale::of(numerator / denominator)
                    }
                }
                [Some(value)] => Scale::of(*value),
                _ => return Err(syn::Error::new_spanned(expr, EXPECTED)),
            }
        }
        _ => match number(expr) {
            Some(factor) => Scale::of(factor),
            None => return Err(syn::Error::new_spanned(expr, EXPECTED)),
        },
    };
    let value = match scale {
        Scale::Times(value) | Scale::Per(value) => value,
    };
    if !value.is_finite() || value == 0.0 {
        return Err(syn::Error::new_spanned(
            expr,
            format!(
                "`scale = {}`: the scale must be a finite number other than zero",
                tokens_text(expr)
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
    unknown_key_at(&meta.path, attribute, keys, note)
}

fn unknown_key_at(path: &Path, attribute: &str, keys: &[Key], note: Option<String>) -> syn::Error {
    let key = tokens_text(path);
    let suggestion = symbol::closest(&key, keys)
        .map(|close| format!(" (did you mean `{close}`?)"))
        .unwrap_or_default();
    let note = note.map(|note| format!("; {note}")).unwrap_or_default();
    syn::Error::new_spanned(
        path,
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
