//! The checks of each field, read one by one against the others: its attributes for its
//! kind, its metric name and unit, clashes with the names and labels earlier fields took,
//! the families fields with fixed labels share, the `summary(…)`s of a snapshot group, and
//! nested groups that would write the same names. Every mistake is recorded in the
//! [`Ctxt`], on the user's token, and the reading goes on.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Field, Generics, Ident, Type};

use super::ast::{
    AggregateField, AggregateSummary, LiveField, LiveRole, Metric, SnapshotField, SnapshotRole,
    Value,
};
use super::attr::{ContainerAttrs, FieldAttrs, GroupKind, Scale, SummaryAttr};
use super::naming::{self, UnitPlace};
use super::symbol::{
    self, AGE_BUCKETS, COUNTER, GAUGE, HELP, KEY, Key, LABEL, LABELS, MAX_AGE, NAME, NESTED,
    QUANTILES, SCALE, SKIP, UNIT,
};
use super::types::{
    MetricKind, NUMBER_TYPES, ValueType, last_segment, live_kind, map_types, number_type,
    open_label_type, signed_integer, type_args, type_text, value_type,
};
use crate::ctxt::Ctxt;
use crate::metric_options::SummaryOptions;
use crate::names;

/// Reads fields one by one, remembering the names given so far.
pub(super) struct Reader<'c, 'a> {
    cx: &'c Ctxt,
    attrs: &'a ContainerAttrs,
    /// The struct's generic parameters, by name.
    type_params: std::collections::BTreeSet<String>,
    prefix: &'c str,
    /// Family names (with `_total` for counters) → the field that has it.
    names: BTreeMap<String, String>,
    /// Other sample names (`x_bucket`, `x_count`…) → the field, and its kind.
    samples: BTreeMap<String, (String, MetricKind)>,
    /// Label names of a snapshot struct's label fields → the field.
    labels: BTreeMap<String, String>,
    /// Families of values with fixed labels (`labels(…)`), which later fields of the same
    /// name join.
    fixed: BTreeMap<String, FixedFamily>,
}

/// A family written by fields with fixed labels.
struct FixedFamily {
    /// The first field's name.
    first: String,
    kind: MetricKind,
    /// The label names, sorted.
    names: Vec<String>,
    /// Each field's series: its label pairs, sorted, and the field.
    series: Vec<(Vec<(String, String)>, String)>,
}

impl<'c, 'a> Reader<'c, 'a> {
    /// A reader of the fields of a struct with `attrs`, its generics, and its `prefix`.
    pub(super) fn new(
        cx: &'c Ctxt,
        attrs: &'a ContainerAttrs,
        generics: &Generics,
        prefix: &'c str,
    ) -> Self {
        Reader {
            cx,
            attrs,
            type_params: crate::generics::param_names(generics),
            prefix,
            names: BTreeMap::new(),
            samples: BTreeMap::new(),
            labels: BTreeMap::new(),
            fixed: BTreeMap::new(),
        }
    }

    pub(super) fn live_field(&mut self, field: &'a Field, member: &'a Ident) -> LiveField<'a> {
        let cx = self.cx;
        let ty = &field.ty;
        let mut attrs = FieldAttrs::parse(cx, &field.attrs, GroupKind::Live);
        let field_name = member.unraw().to_string();
        let metric_kind = live_kind(ty);
        if let (Some(_), Some(nested)) = (metric_kind, &attrs.nested) {
            cx.error_spanned_by(
                nested,
                format!(
                    "`nested` is for a field whose type is a metrics group, and `{field_name}` is \
                     a `{}`, a metric registered under its own name: remove `nested`",
                    type_text(ty)
                ),
            );
            attrs.nested = None;
        }
        let role = if attrs.skip.is_some() {
            not_applicable(cx, &attrs, &[SKIP], "a skipped field (#[metric(skip)])");
            LiveRole::Skip
        } else if let (None, Some(param)) = (&attrs.nested, self.type_param(ty)) {
            cx.error_spanned_by(
                ty,
                format!(
                    "the type of `{field_name}` is the type parameter `{param}`: the derive \
                     tells a metric from a nested group by the name of the field's type; give \
                     the field a metric type (Counter, Gauge, Histogram, Family<L, M>, …), mark \
                     it #[metric(nested)] if `{param}` is a metrics group (`{param}: \
                     MetricsGroup` is then required), or #[metric(skip)]"
                ),
            );
            LiveRole::Skip
        } else if let Some((kind, in_family)) = metric_kind {
            self.check_metric_type(ty, kind, in_family);
            let plain = matches!(
                kind,
                MetricKind::Counter | MetricKind::Gauge | MetricKind::Histogram
            );
            if self.attrs.labels.is_some() && (in_family || !plain) {
                let what = if in_family {
                    "a Family".to_owned()
                } else {
                    format!("a {}", kind.describe())
                };
                cx.error_spanned_by(
                    ty,
                    format!(
                        "field `{field_name}` of a labeled group (#[metrics(labels = …)]) is \
                         {what}: the fields of a labeled group must be Counter, Gauge or \
                         Histogram (each becomes a family with one series per label set)"
                    ),
                );
            }
            let what = if in_family {
                format!("a family of {}s", kind.describe())
            } else {
                format!("a {}", kind.describe())
            };
            if let (Some(buckets), false) = (&attrs.buckets, kind == MetricKind::Histogram) {
                cx.error_spanned_by(
                    &buckets.key,
                    format!("`buckets` applies to histograms, and `{field_name}` is {what}"),
                );
            }
            if kind != MetricKind::Summary {
                let summary_keys = [
                    attrs
                        .quantiles
                        .as_ref()
                        .map(|given| (QUANTILES, &given.key)),
                    attrs.max_age.as_ref().map(|given| (MAX_AGE, &given.key)),
                    attrs
                        .age_buckets
                        .as_ref()
                        .map(|given| (AGE_BUCKETS, &given.key)),
                ];
                for (key, path) in summary_keys.into_iter().flatten() {
                    cx.error_spanned_by(
                        path,
                        format!("`{key}` applies to summaries, and `{field_name}` is {what}"),
                    );
                }
            }
            let name = self.metric_name(&attrs, member, UnitPlace::Live, None);
            let help = self.help(&attrs, field, member);
            if let Some(name) = &name {
                if !self.refused_gauge_name(name, kind, &attrs, member, false) {
                    self.claim(
                        name,
                        kind,
                        origin(&attrs, member),
                        format!("field `{field_name}`"),
                    );
                }
            }
            LiveRole::Metric(Metric {
                name: name.unwrap_or_default(),
                help: help.unwrap_or_default(),
                buckets: attrs.buckets.map(|buckets| buckets.value),
                summary: SummaryOptions {
                    quantiles: attrs.quantiles.map(|given| given.value),
                    max_age: attrs.max_age.map(|given| given.value),
                    age_buckets: attrs.age_buckets.map(|given| given.value),
                },
            })
        } else {
            if attrs.nested.is_some() {
                not_applicable(cx, &attrs, &[NESTED], "a nested group (#[metric(nested)])");
            } else {
                not_applicable(
                    cx,
                    &attrs,
                    &[],
                    &format!(
                        "`{field_name}`, a nested group: its type is not a metric type \
                         (Counter, FloatCounter, Gauge, FloatGauge, Histogram, Family, Summary, \
                         StateSet), so the group it names registers its own metrics"
                    ),
                );
            }
            if self.attrs.labels.is_some() {
                cx.error_spanned_by(
                    ty,
                    format!(
                        "field `{field_name}` of a labeled group (#[metrics(labels = …)]) is a \
                         nested group: the fields of a labeled group must be Counter, Gauge or \
                         Histogram (each becomes a family with one series per label set)"
                    ),
                );
            }
            LiveRole::Nested
        };
        LiveField {
            field,
            member,
            ty,
            role,
        }
    }

    pub(super) fn snapshot_field(
        &mut self,
        field: &'a Field,
        member: &'a Ident,
    ) -> SnapshotField<'a> {
        let cx = self.cx;
        let ty = &field.ty;
        let mut attrs = FieldAttrs::parse(cx, &field.attrs, GroupKind::Snapshot);
        let field_name = member.unraw().to_string();
        if let Some(nested) = &attrs.nested {
            let message = if map_types(ty).is_some() {
                Some(format!(
                    "`{field_name}` is a map: a map of nested stats takes `key = \"…\"` (the \
                     label its keys are written in) and no `nested`, which is for a single \
                     nested struct; remove `nested`"
                ))
            } else if value_type(ty).is_some() {
                Some(format!(
                    "`nested` is for a field whose type is a snapshot struct, and `{field_name}` \
                     is a `{}`, a value written as one sample: remove `nested`",
                    type_text(ty)
                ))
            } else {
                None
            };
            if let Some(message) = message {
                cx.error_spanned_by(nested, message);
                attrs.nested = None;
            }
        }
        let no_keys = attrs.given_keys().is_empty();
        let role = if attrs.skip.is_some() {
            not_applicable(cx, &attrs, &[SKIP], "a skipped field (#[metric(skip)])");
            SnapshotRole::Skip
        } else if attrs.label.is_some() {
            not_applicable(
                cx,
                &attrs,
                &[LABEL, NAME],
                "a label field (#[metric(label)])",
            );
            let (name, origin) = match &attrs.name {
                Some(given) => (given.value.value(), given.value.to_token_stream()),
                None => (field_name.clone(), member.to_token_stream()),
            };
            if let Err(message) = names::check_label_name(&name) {
                cx.error_spanned_by(
                    origin,
                    label_hint(
                        &message,
                        "give the label another name with #[metric(label, name = \"…\")]",
                    ),
                );
            } else if let Some(first) = self.labels.get(&name) {
                cx.error_spanned_by(
                    origin,
                    format!("duplicate label name `{name}`: field `{first}` already has it"),
                );
            } else {
                self.labels.insert(name.clone(), field_name);
            }
            SnapshotRole::Label { name }
        } else if let (None, Some(param)) = (&attrs.nested, self.type_param(ty)) {
            cx.error_spanned_by(
                ty,
                format!(
                    "the type of `{field_name}` is the type parameter `{param}`: the derive \
                     tells a value from a nested group by the name of the field's type; give \
                     the field a value type (an integer, a float, bool, Duration, or Option of \
                     those), mark it #[metric(nested)] if `{param}` is a snapshot group \
                     (`{param}: SnapshotGroup` is then required), or #[metric(skip)]"
                ),
            );
            SnapshotRole::Skip
        } else if attrs.nested.is_some() {
            not_applicable(cx, &attrs, &[NESTED], "a nested group (#[metric(nested)])");
            SnapshotRole::Nested
        } else if let (true, Some(name)) = (no_keys, open_label_type(ty)) {
            cx.error_spanned_by(
                ty,
                format!(
                    "`{field_name}` is a `{name}`, which is not a value (a snapshot value is an \
                     integer, a float, bool, Duration, or Option of those): to put it on the \
                     struct's samples as a label, mark it #[metric(label)]; or leave it out \
                     with #[metric(skip)]"
                ),
            );
            SnapshotRole::Skip
        } else if let Some(value_ty) = value_type(ty) {
            SnapshotRole::Value(self.value(&attrs, field, ty, member, value_ty, false))
        } else if let Some((key_ty, value_ty)) = map_types(ty) {
            let label = match &attrs.key {
                Some(given) => {
                    let label = given.value.value();
                    if let Err(message) = names::check_label_name(&label) {
                        cx.error_spanned_by(
                            &given.value,
                            label_hint(&message, "choose another #[metric(key = \"…\")]"),
                        );
                    }
                    label
                }
                None => {
                    cx.error_spanned_by(
                        member,
                        format!(
                            "`{field_name}` is a map: its keys are written in a label, which \
                             needs a name: add #[metric(key = \"…\")] (for example \
                             #[metric(key = \"id\")])"
                        ),
                    );
                    String::new()
                }
            };
            let value = match value_type(value_ty) {
                Some(value_kind) => {
                    Some(self.value(&attrs, field, value_ty, member, value_kind, true))
                }
                None => {
                    not_applicable(
                        cx,
                        &attrs,
                        &[KEY],
                        &format!(
                            "`{field_name}`, a map of nested groups (the group of each value \
                             names its own metrics)"
                        ),
                    );
                    None
                }
            };
            SnapshotRole::Map {
                key_ty,
                value_ty,
                label,
                value,
            }
        } else {
            not_applicable(
                cx,
                &attrs,
                &[],
                &format!(
                    "`{field_name}`, a nested group: its type is not a value type (integers, \
                     floats, bool, Duration, or Option of those) nor a map, so the group it \
                     names writes its own metrics"
                ),
            );
            SnapshotRole::Nested
        };
        SnapshotField { member, ty, role }
    }

    /// A snapshot value (a field, or the values of a map).
    fn value(
        &mut self,
        attrs: &FieldAttrs,
        field: &Field,
        ty: &Type,
        member: &Ident,
        value_type: ValueType,
        is_map: bool,
    ) -> Value {
        let cx = self.cx;
        if let (Some(_), Some(signed)) = (&attrs.counter, signed_integer(ty)) {
            cx.error_spanned_by(
                ty,
                format!(
                    "a counter only goes up, and `{}` is {}: keep the count in an unsigned \
                     integer (`u64`) or a float, or leave out `counter` to write a gauge (as \
                     `Counter<{signed}>` is refused)",
                    member.unraw(),
                    if is_map {
                        format!("a map of `{signed}`s")
                    } else {
                        format!("an `{}`", type_text(ty))
                    }
                ),
            );
        }
        not_applicable(
            cx,
            attrs,
            &[COUNTER, GAUGE, NAME, HELP, UNIT, SCALE, KEY, LABELS],
            "this field",
        );
        if let (false, Some(key)) = (is_map, &attrs.key) {
            cx.error_spanned_by(
                &key.key,
                "`key` applies to maps (HashMap, BTreeMap): it names the label their keys are \
                 written in",
            );
        }
        if let (Some(_), Some(gauge)) = (&attrs.counter, &attrs.gauge) {
            cx.error_spanned_by(gauge, "a value is a counter or a gauge, not both");
        }
        if let (ValueType::Bool, Some(scale)) = (value_type, &attrs.scale) {
            cx.error_spanned_by(
                &scale.key,
                "`scale` does not apply to a bool, which is written as 0 or 1",
            );
        }
        let implicit_unit = (value_type == ValueType::Duration).then_some("seconds");
        if let (ValueType::Duration, Some(unit)) = (value_type, &attrs.unit) {
            let written = unit.value.value();
            if naming::BASE_UNITS.contains(&written.as_str()) && written != "seconds" {
                cx.error_spanned_by(
                    &unit.value,
                    "a Duration is written in seconds: use unit = \"seconds\" (or leave the \
                     unit out)",
                );
            }
        }
        let kind = if attrs.counter.is_some() {
            MetricKind::Counter
        } else {
            MetricKind::Gauge
        };
        let labels = self.fixed_labels(attrs, is_map);
        let name = self.metric_name(attrs, member, UnitPlace::Snapshot, implicit_unit);
        let family = name
            .as_deref()
            .map(|name| family_name(name, kind))
            .unwrap_or_default();
        let shared = match (&name, &labels) {
            (Some(_), Some(labels)) if self.fixed.contains_key(&family) => {
                self.join(&family, kind, labels, attrs, member);
                true
            }
            _ => false,
        };
        // A field joining an earlier field's family takes that field's HELP text; a field
        // with fixed labels whose name is taken gets that error only.
        let help = if shared || (labels.is_some() && self.names.contains_key(&family)) {
            None
        } else {
            self.help(attrs, field, member)
        };
        let refused = name.as_ref().is_some_and(|name| {
            !shared && self.refused_gauge_name(name, kind, attrs, member, true)
        });
        if let (Some(name), false, false) = (&name, shared, refused) {
            let field_name = member.unraw().to_string();
            let claimed = self.claim(
                name,
                kind,
                origin(attrs, member),
                format!("field `{field_name}`"),
            );
            if let (true, Some(labels)) = (claimed, &labels) {
                self.fixed.insert(
                    family.clone(),
                    FixedFamily {
                        first: field_name.clone(),
                        kind,
                        names: sorted_names(labels),
                        series: vec![(sorted_pairs(labels), field_name)],
                    },
                );
            }
        }
        Value {
            name: name.unwrap_or_default(),
            help: help.unwrap_or_default(),
            counter: attrs.counter.is_some(),
            scale: attrs.scale.as_ref().map_or(Scale::ONE, |scale| scale.value),
            family,
            labels: labels.unwrap_or_default(),
            shared,
        }
    }

    /// The `labels(…)` of a value field, checked; `None` when not given (or for a map).
    fn fixed_labels(&self, attrs: &FieldAttrs, is_map: bool) -> Option<Vec<(String, String)>> {
        let given = attrs.labels.as_ref()?;
        if is_map {
            self.cx.error_spanned_by(
                &given.key,
                "`labels(…)` applies to a value field: the keys of a map are written in its \
                 `key` label",
            );
            return None;
        }
        let mut out: Vec<(String, String)> = Vec::with_capacity(given.value.len());
        for label in &given.value {
            let name = label.name();
            if let Err(message) = names::check_label_name(&name) {
                self.cx.error_spanned_by(
                    &label.name,
                    label_hint(&message, "choose another name in `labels(…)`"),
                );
            } else if out.iter().any(|(seen, _)| *seen == name) {
                self.cx.error_spanned_by(
                    &label.name,
                    format!("duplicate label `{name}` in `labels(…)`: give it once"),
                );
            } else {
                out.push((name, label.value.value()));
            }
        }
        Some(out)
    }

    /// A field with fixed labels joins the family an earlier field of the same name (with
    /// fixed labels too) made: same kind, same label names, another series.
    fn join(
        &mut self,
        family: &str,
        kind: MetricKind,
        labels: &[(String, String)],
        attrs: &FieldAttrs,
        member: &Ident,
    ) {
        let field_name = member.unraw().to_string();
        let full = naming::join(self.prefix, family);
        let Some(existing) = self.fixed.get_mut(family) else {
            return;
        };
        let first = &existing.first;
        let labels_origin = attrs.labels.as_ref().map_or_else(
            || member.to_token_stream(),
            |given| given.key.to_token_stream(),
        );
        if existing.kind != kind {
            self.cx.error_spanned_by(
                origin(attrs, member),
                format!(
                    "field `{field_name}` writes into `{full}`, the family of field `{first}`, \
                     which is a {}: the fields of one family are all counters or all gauges",
                    existing.kind.describe()
                ),
            );
            return;
        }
        let names = sorted_names(labels);
        if names != existing.names {
            self.cx.error_spanned_by(
                labels_origin,
                format!(
                    "field `{field_name}` writes into `{full}`, the family of field `{first}`, \
                     whose fixed labels are ({}): the series of one family have the same label \
                     names",
                    existing.names.join(", ")
                ),
            );
            return;
        }
        let pairs = sorted_pairs(labels);
        if let Some((_, other)) = existing.series.iter().find(|(series, _)| *series == pairs) {
            let shown: Vec<String> = labels
                .iter()
                .map(|(name, value)| format!("{name}=\"{value}\""))
                .collect();
            self.cx.error_spanned_by(
                labels_origin,
                format!(
                    "field `{other}` already writes the series {{{}}} of `{full}`: give this \
                     field other label values",
                    shown.join(",")
                ),
            );
            return;
        }
        existing.series.push((pairs, field_name));
    }

    /// The type parameter `ty` is, if it is one of the struct's.
    fn type_param(&self, ty: &Type) -> Option<String> {
        let Type::Path(path) = ty else {
            return None;
        };
        let ident = path.path.get_ident()?.to_string();
        (path.qself.is_none() && self.type_params.contains(&ident)).then_some(ident)
    }

    /// Mistakes in a metric field's type parameters that the compiler would report in
    /// generated code: a Family of plain numbers, a Family keyed by a label value rather
    /// than a label set, a StateSet of an open type.
    fn check_metric_type(&self, ty: &Type, kind: MetricKind, in_family: bool) {
        let Some(segment) = last_segment(ty) else {
            return;
        };
        let args = type_args(segment);
        if in_family {
            // `Family<String, _>` is ill-formed (`L: LabelSet`): rustc says so on the
            // field, and the derive writes nothing that would say it again.
            if args.first().copied().and_then(open_label_type).is_some() {
                self.cx.leave_to_rustc();
            }
            if let Some(metric) = args.get(1) {
                if let Some(number) = number_type(metric) {
                    self.cx.error_spanned_by(
                        metric,
                        format!(
                            "a Family holds one metric per label set, and `{number}` is a plain \
                             number, not a metric: write `Counter`, `Gauge`, `Histogram`, … \
                             (like `Family<Labels, Counter>`)"
                        ),
                    );
                }
            }
        } else if kind == MetricKind::StateSet {
            if let Some(state) = args.first() {
                if let Some(name) = open_label_type(state).or_else(|| number_type(state)) {
                    self.cx.error_spanned_by(
                        state,
                        format!(
                            "a StateSet writes one series per state, all known up front, and \
                             `{name}` is an open set of values: use an enum of unit variants \
                             deriving LabelValue (or `bool`)"
                        ),
                    );
                }
            }
        }
    }

    /// A gauge may not end in the suffix of a counter (`_total`) or of a histogram's or
    /// summary's samples (`_count`, `_sum`, `_bucket`): promtool refuses such names.
    /// Whether it was reported (a name that another family's samples already have is left
    /// to [`claim`](Self::claim), which says so).
    fn refused_gauge_name(
        &self,
        name: &str,
        kind: MetricKind,
        attrs: &FieldAttrs,
        member: &Ident,
        snapshot: bool,
    ) -> bool {
        if kind != MetricKind::Gauge || self.samples.contains_key(name) {
            return false;
        }
        let Some(suffix) = promforge_rules::gauge_refused_suffix(name) else {
            return false;
        };
        let stem = &name[..name.len() - suffix.len()];
        let full = naming::join(self.prefix, name);
        let rename = if attrs.name.is_some() {
            format!("`name = \"{stem}\"`")
        } else {
            format!("rename the field `{stem}`, or write #[metric(name = \"{stem}\")]")
        };
        let why = if suffix == "_total" {
            let counter = if snapshot {
                "mark it #[metric(counter)]"
            } else {
                "make it a Counter"
            };
            format!(
                "`_total` marks a counter, and promtool refuses it on a gauge; if the value \
                 only goes up, {counter} (written `{}_total`), else call it `{stem}`",
                naming::join(self.prefix, stem)
            )
        } else {
            format!(
                "`{suffix}` ends the samples of histograms and summaries, and promtool refuses \
                 it on a gauge; call it `{stem}`"
            )
        };
        self.cx.error_spanned_by(
            origin(attrs, member),
            format!("the gauge `{full}`: {why} ({rename})"),
        );
        true
    }

    /// The name after the prefix, with its unit; `None` after an error.
    fn metric_name(
        &self,
        attrs: &FieldAttrs,
        member: &Ident,
        place: UnitPlace,
        implicit_unit: Option<&str>,
    ) -> Option<String> {
        let cx = self.cx;
        let (name, origin): (String, TokenStream) = match &attrs.name {
            Some(given) => (given.value.value(), given.value.to_token_stream()),
            None => (member.unraw().to_string(), member.to_token_stream()),
        };
        if let Err(message) = names::check_metric_name(&name, !self.prefix.is_empty()) {
            cx.error_spanned_by(origin, message);
            return None;
        }
        let unit = match &attrs.unit {
            Some(given) => {
                let unit = given.value.value();
                if let Err(message) = naming::check_unit(&unit, place) {
                    cx.error_spanned_by(&given.value, message);
                    return None;
                }
                unit
            }
            None => match implicit_unit {
                Some(unit) => unit.to_owned(),
                None => return Some(name),
            },
        };
        match naming::apply_unit(&name, &unit) {
            Ok(name) => Some(name),
            Err(message) => {
                cx.error_spanned_by(origin, message);
                None
            }
        }
    }

    /// The HELP text: `help = "…"`, else the doc comment's first paragraph.
    fn help(&self, attrs: &FieldAttrs, field: &Field, member: &Ident) -> Option<String> {
        if let Some(given) = &attrs.help {
            return Some(given.value.value().trim().to_owned());
        }
        let help = super::attr::doc_help(&field.attrs);
        if help.is_none() {
            self.cx.error_spanned_by(
                member,
                format!(
                    "metric `{}` has no help text: add a doc comment (its first paragraph is \
                     the HELP text) or #[metric(help = \"…\")]",
                    member.unraw()
                ),
            );
        }
        help
    }

    /// Records the names a family writes (`owner` says who writes it: "field `x`"); reports
    /// a clash with an earlier family's, on `origin`. Whether the names were free.
    fn claim(&mut self, name: &str, kind: MetricKind, origin: TokenStream, owner: String) -> bool {
        let family = family_name(name, kind);
        let full = |name: &str| naming::join(self.prefix, name);
        let samples: Vec<String> = kind
            .sample_suffixes()
            .iter()
            .map(|suffix| format!("{family}{suffix}"))
            .collect();
        let clash = if let Some(first) = self.names.get(&family) {
            Some(format!(
                "duplicate metric name `{}`: {first} has it already",
                full(&family)
            ))
        } else if let Some((first, first_kind)) = self.samples.get(&family) {
            Some(format!(
                "the metric name `{}` is taken: {first}, a {}, writes samples of that name",
                full(&family),
                first_kind.describe()
            ))
        } else {
            samples.iter().find_map(|sample| {
                self.names.get(sample).map(|first| {
                    format!(
                        "the {} `{}` writes samples named `{}`, the name of {first}",
                        kind.describe(),
                        full(&family),
                        full(sample)
                    )
                })
            })
        };
        match clash {
            Some(message) => {
                self.cx.error_spanned_by(origin, message);
                false
            }
            None => {
                self.names.insert(family, owner.clone());
                for sample in samples {
                    self.samples.insert(sample, (owner.clone(), kind));
                }
                true
            }
        }
    }

    /// A fixed label must not be one of the struct's label fields (its samples would carry
    /// the label twice).
    pub(super) fn check_fixed_labels(&self, fields: &[SnapshotField<'_>]) {
        for field in fields {
            let SnapshotRole::Value(value) = &field.role else {
                continue;
            };
            for (name, _) in &value.labels {
                if let Some(first) = self.labels.get(name) {
                    self.cx.error_spanned_by(
                        field.member,
                        format!(
                            "`{}` has the fixed label `{name}`, which field `{first}` already \
                             is: give the fixed label another name",
                            field.member.unraw()
                        ),
                    );
                }
            }
        }
    }

    /// A `summary(…)` of a snapshot struct, checked; `None` after an error.
    pub(super) fn summary(
        &mut self,
        summary: &SummaryAttr,
        ident: &Ident,
        fields: &[SnapshotField<'a>],
    ) -> Option<AggregateSummary<'a>> {
        let cx = self.cx;
        if summary.broken {
            return None;
        }
        let name_literal = summary.name.as_ref()?;
        let help = summary.help.as_ref()?;
        let count = summary.count.as_ref()?;
        let (sum, avg) = match (&summary.sum, &summary.avg) {
            (Some(sum), None) => (sum, false),
            (None, Some(avg)) => (avg, true),
            _ => return None,
        };
        let name = name_literal.value();
        let mut ok = true;
        if let Err(message) = names::check_metric_name(&name, !self.prefix.is_empty()) {
            cx.error_spanned_by(name_literal, message);
            ok = false;
        } else if let Err(message) = naming::check_summary_name(&name) {
            cx.error_spanned_by(name_literal, message);
            ok = false;
        }
        let sum_key = if avg { "avg" } else { "sum" };
        let sum_field = self.aggregate_field(&sum.value, sum_key, true, ident, fields);
        let count_field = self.aggregate_field(&count.value, "count", false, ident, fields);
        if ok {
            let full = naming::join(self.prefix, &name);
            ok = self.claim(
                &name,
                MetricKind::Summary,
                name_literal.to_token_stream(),
                format!("the summary `{full}`"),
            );
        }
        let (sum, count) = (sum_field?, count_field?);
        ok.then(|| AggregateSummary {
            name,
            help: help.value.value().trim().to_owned(),
            sum,
            avg,
            count,
            scale: summary
                .scale
                .as_ref()
                .map_or(Scale::ONE, |scale| scale.value),
        })
    }

    /// The field `member` of the struct, read by a summary as `key`: a number, or (for the
    /// sum or average, `duration_ok`) a `Duration`.
    fn aggregate_field(
        &self,
        member: &Ident,
        key: &str,
        duration_ok: bool,
        ident: &Ident,
        fields: &[SnapshotField<'a>],
    ) -> Option<AggregateField<'a>> {
        let wanted = member.unraw().to_string();
        let Some(field) = fields
            .iter()
            .find(|field| field.member.unraw() == wanted.as_str())
        else {
            // The closest field: a typo away, or the name with a unit added or left out
            // (`processing_time` for `processing_time_ms`).
            let suggestion = fields
                .iter()
                .map(|field| field.member.unraw().to_string())
                .filter_map(|name| {
                    let distance = symbol::edit_distance(&wanted, &name);
                    let affix = name.starts_with(&format!("{wanted}_"))
                        || wanted.starts_with(&format!("{name}_"));
                    (distance <= 2 && distance < wanted.len() || affix).then_some((distance, name))
                })
                .min_by_key(|(distance, _)| *distance)
                .map(|(_, name)| format!(" (did you mean `{name}`?)"))
                .unwrap_or_default();
            self.cx.error_spanned_by(
                member,
                format!(
                    "`{key} = {wanted}`: `{ident}` has no field `{wanted}`{suggestion}; `{key}` \
                     names the field of the struct holding the {}",
                    aggregate_what(key)
                ),
            );
            return None;
        };
        let field_name = field.member.unraw();
        if let SnapshotRole::Label { .. } = field.role {
            self.cx.error_spanned_by(
                member,
                format!(
                    "`{key} = {wanted}`: field `{field_name}` is a label (#[metric(label)]); \
                     `{key}` names a number field holding the {}",
                    aggregate_what(key)
                ),
            );
            return None;
        }
        let type_name = last_segment(field.ty)
            .filter(|segment| segment.arguments.is_none())
            .map(|segment| segment.ident.to_string());
        let duration = match type_name.as_deref() {
            Some(name) if NUMBER_TYPES.contains(&name) => false,
            Some("Duration") if duration_ok => true,
            _ => {
                let ty = field.ty.to_token_stream().to_string().replace(' ', "");
                let allowed = if duration_ok {
                    "a number (integer or float) or a Duration"
                } else {
                    "an integer or float"
                };
                self.cx.error_spanned_by(
                    member,
                    format!(
                        "`{key} = {wanted}`: field `{field_name}` is a `{ty}`; the field \
                         holding the {} must be {allowed}",
                        aggregate_what(key)
                    ),
                );
                return None;
            }
        };
        Some(AggregateField {
            member: field.member,
            ty: field.ty,
            duration,
            is_f64: type_name.as_deref() == Some("f64"),
        })
    }

    /// A map's key label must not be one of the struct's label fields (its samples would
    /// carry the label twice).
    pub(super) fn check_map_keys(&self, fields: &[SnapshotField<'_>]) {
        for field in fields {
            let SnapshotRole::Map { label, .. } = &field.role else {
                continue;
            };
            if let Some(first) = self.labels.get(label) {
                self.cx.error_spanned_by(
                    field.member,
                    format!(
                        "the keys of `{}` are written in the label `{label}`, which field \
                         `{first}` already is: give the key label another name",
                        field.member.unraw()
                    ),
                );
            }
        }
    }
}

/// What the field a summary's key names holds, for messages.
fn aggregate_what(key: &str) -> &'static str {
    match key {
        "avg" => "average of the observations",
        "count" => "number of observations",
        _ => "total of the observations",
    }
}

/// A family's exposed name: `_total` added to a counter's (as the runtime's registry adds it).
fn family_name(name: &str, kind: MetricKind) -> String {
    if kind == MetricKind::Counter {
        promforge_rules::counter_name(name)
    } else {
        name.to_owned()
    }
}

/// Where an error about a field's metric name points: `name = "…"`, else the field.
fn origin(attrs: &FieldAttrs, member: &Ident) -> TokenStream {
    match &attrs.name {
        Some(given) => given.value.to_token_stream(),
        None => member.to_token_stream(),
    }
}

fn sorted_names(labels: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = labels.iter().map(|(name, _)| name.clone()).collect();
    names.sort();
    names
}

fn sorted_pairs(labels: &[(String, String)]) -> Vec<(String, String)> {
    let mut pairs = labels.to_vec();
    pairs.sort();
    pairs
}

/// Reports each key in `attrs` that is not in `allowed`, saying it does not apply to `what`.
fn not_applicable(cx: &Ctxt, attrs: &FieldAttrs, allowed: &[Key], what: &str) {
    for (key, path) in attrs.given_keys() {
        if !allowed.contains(&key) {
            cx.error_spanned_by(path, format!("`{key}` does not apply to {what}"));
        }
    }
}

/// The label-name checker's advice names `#[label(rename = …)]`, the attribute of
/// `LabelSet`; here the advice is `advice`.
fn label_hint(message: &str, advice: &str) -> String {
    message.replace(
        "give the label another name with #[label(rename = \"…\")]",
        advice,
    )
}

/// Two nested groups of the same type register the same names (a nested group is named by
/// its own prefix, not by the field): reported on the second field's type.
pub(super) fn nested_types<'a>(
    cx: &Ctxt,
    nested: impl Iterator<Item = (&'a Ident, &'a Type)>,
    snapshot: bool,
) {
    let mut seen: BTreeMap<String, &Ident> = BTreeMap::new();
    for (member, ty) in nested {
        // `Vec<T>` (and a map of `T`) writes `T`'s families.
        let inner = last_segment(ty)
            .filter(|segment| snapshot && (segment.ident == "Vec" || segment.ident == "Option"))
            .and_then(|segment| type_args(segment).first().copied())
            .unwrap_or(ty);
        let key = inner.to_token_stream().to_string().replace(' ', "");
        match seen.get(&key) {
            Some(first) => {
                let remedy = if snapshot {
                    format!(
                        "keep them in one field: a `Vec<{key}>`, or a map with \
                         #[metric(key = \"…\")] whose keys tell them apart in a label"
                    )
                } else {
                    "keep one field, or give the other a group type with another prefix".to_owned()
                };
                cx.error_spanned_by(
                    ty,
                    format!(
                        "`{}` and `{}` are both `{key}` groups: a nested group's metrics are \
                         named by its own prefix joined to this struct's, not by the field \
                         name, so the two would write the same names; {remedy}",
                        first.unraw(),
                        member.unraw()
                    ),
                );
            }
            None => {
                seen.insert(key, member);
            }
        }
    }
}
