//! The derive's input, read and checked: what each field is, and the names it renders to.
//! Every mistake is recorded in the [`Ctxt`], on the user's token, and the reading goes on.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{
    Data, DeriveInput, Field, Fields, GenericArgument, Generics, Ident, PathArguments, PathSegment,
    Type, Visibility,
};

use super::attr::{Buckets, ContainerAttrs, FieldAttrs, GroupKind};
use super::naming::{self, UnitPlace};
use super::symbol::{COUNTER, GAUGE, HELP, KEY, Key, LABEL, NAME, NESTED, SCALE, SKIP, UNIT};
use crate::ctxt::Ctxt;
use crate::names;

/// A struct deriving `MetricsGroup`, checked.
pub(super) struct Input<'a> {
    pub(super) ident: &'a Ident,
    pub(super) vis: &'a Visibility,
    pub(super) generics: &'a Generics,
    pub(super) attrs: &'a ContainerAttrs,
    /// The struct's own prefix (empty when none).
    pub(super) prefix: String,
    pub(super) body: Body<'a>,
}

/// The fields, by kind of group.
pub(super) enum Body<'a> {
    /// A struct of metric handles.
    Live(Vec<LiveField<'a>>),
    /// A struct of plain values read at every scrape.
    Snapshot(Vec<SnapshotField<'a>>),
}

/// A field of a live group.
pub(super) struct LiveField<'a> {
    pub(super) field: &'a Field,
    pub(super) member: &'a Ident,
    pub(super) ty: &'a Type,
    pub(super) role: LiveRole,
}

/// What a field of a live group is.
pub(super) enum LiveRole {
    /// A metric handle, registered under its name.
    Metric(Metric),
    /// A nested group, registered under the prefix.
    Nested,
    /// `#[metric(skip)]`: `Default::default()`, not registered.
    Skip,
}

/// A metric of a live group.
pub(super) struct Metric {
    /// The name after the prefix, with its unit (the registry adds `_total` to counters).
    pub(super) name: String,
    pub(super) help: String,
    pub(super) buckets: Option<Buckets>,
}

/// A field of a snapshot group.
pub(super) struct SnapshotField<'a> {
    pub(super) member: &'a Ident,
    pub(super) ty: &'a Type,
    pub(super) role: SnapshotRole<'a>,
}

/// What a field of a snapshot group is.
pub(super) enum SnapshotRole<'a> {
    /// `#[metric(label)]`: a label on every sample of the struct.
    Label { name: String },
    /// A number, `bool`, `Duration` or an `Option` of one: one family.
    Value(Value),
    /// A `HashMap`/`BTreeMap` whose keys are written in the label `label`; its values are
    /// values (one family, `value`) or snapshot groups (`value` is `None`).
    Map {
        key_ty: &'a Type,
        value_ty: &'a Type,
        label: String,
        value: Option<Value>,
    },
    /// A nested snapshot group (or a `Vec` of them).
    Nested,
    /// `#[metric(skip)]`.
    Skip,
}

/// A family of a snapshot group.
pub(super) struct Value {
    /// The name after the prefix, with its unit (the registry adds `_total` to counters).
    pub(super) name: String,
    pub(super) help: String,
    pub(super) counter: bool,
    pub(super) scale: f64,
}

/// What a live metric field's type is, by its last path segment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MetricKind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    StateSet,
    /// A `Family` of something the derive does not know by name.
    Other,
}

impl MetricKind {
    fn of(segment: &PathSegment) -> Option<Self> {
        Some(match segment.ident.to_string().as_str() {
            "Counter" | "FloatCounter" => Self::Counter,
            "Gauge" | "FloatGauge" => Self::Gauge,
            "Histogram" => Self::Histogram,
            "Summary" => Self::Summary,
            "StateSet" => Self::StateSet,
            _ => return None,
        })
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Summary => "summary",
            Self::StateSet => "state set",
            Self::Other => "metric",
        }
    }

    /// The suffixes of the sample names the family writes besides its own name.
    fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Histogram => &["_bucket", "_sum", "_count"],
            Self::Summary => &["_sum", "_count"],
            _ => &[],
        }
    }
}

/// The kind of a live field's type: `Some((kind, in_a_family))` for a metric type.
fn live_kind(ty: &Type) -> Option<(MetricKind, bool)> {
    let segment = last_segment(ty)?;
    if segment.ident == "Family" {
        let kind = type_args(segment)
            .get(1)
            .and_then(|inner| last_segment(inner))
            .and_then(MetricKind::of)
            .unwrap_or(MetricKind::Other);
        return Some((kind, true));
    }
    MetricKind::of(segment).map(|kind| (kind, false))
}

/// The last segment of a type's path (`Counter` of `promforge::Counter<u64>`).
fn last_segment(ty: &Type) -> Option<&PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

/// The type arguments of a path segment (`[K, V]` of `HashMap<K, V>`).
fn type_args(segment: &PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The last segments of the types a snapshot value can have.
const VALUE_TYPES: [&str; 15] = [
    "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize", "f32", "f64", "bool",
    "Duration", "Option",
];

/// What a snapshot value's type is, looking through `Option`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueType {
    Number,
    Bool,
    Duration,
}

fn value_type(ty: &Type) -> Option<ValueType> {
    let segment = last_segment(ty)?;
    let name = segment.ident.to_string();
    if !VALUE_TYPES.contains(&name.as_str()) {
        return None;
    }
    Some(match name.as_str() {
        "Option" => match type_args(segment).first() {
            Some(inner) => value_type(inner).unwrap_or(ValueType::Number),
            None => ValueType::Number,
        },
        "bool" => ValueType::Bool,
        "Duration" => ValueType::Duration,
        _ => ValueType::Number,
    })
}

/// `(K, V)` of a `HashMap<K, V>` or `BTreeMap<K, V>`.
fn map_types(ty: &Type) -> Option<(&Type, &Type)> {
    let segment = last_segment(ty)?;
    if segment.ident != "HashMap" && segment.ident != "BTreeMap" {
        return None;
    }
    match type_args(segment).as_slice() {
        [key, value, ..] => Some((key, value)),
        _ => None,
    }
}

impl<'a> Input<'a> {
    /// Reads `input`; `None` when its shape is wrong (an error was recorded).
    pub(super) fn from_syn(
        cx: &Ctxt,
        input: &'a DeriveInput,
        attrs: &'a ContainerAttrs,
    ) -> Option<Self> {
        let ident = &input.ident;
        let kind = if attrs.snapshot.is_some() {
            GroupKind::Snapshot
        } else {
            GroupKind::Live
        };
        let prefix = match &attrs.prefix {
            Some(literal) => {
                let prefix = literal.value();
                if let Err(message) = naming::check_prefix(&prefix) {
                    cx.error_spanned_by(literal, message);
                }
                prefix
            }
            None => String::new(),
        };
        if let (Some(_), Some((key, _))) = (&attrs.snapshot, &attrs.labels) {
            cx.error_spanned_by(
                key,
                "`labels` is for live groups: in a snapshot group, a field marked \
                 #[metric(label)] is a label on the struct's samples",
            );
        }
        if attrs.labels.is_some() && !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "a labeled group (#[metrics(labels = …)]) cannot have generic parameters",
            );
        }
        let fields = match &input.data {
            Data::Enum(data) => {
                let keyword = data.enum_token;
                cx.error_spanned_by(
                    quote!(#keyword #ident),
                    "MetricsGroup is derived for structs with named fields (each a metric, a \
                     value or a nested group), not for an enum",
                );
                return None;
            }
            Data::Union(data) => {
                let keyword = data.union_token;
                cx.error_spanned_by(
                    quote!(#keyword #ident),
                    "MetricsGroup is derived for structs with named fields (each a metric, a \
                     value or a nested group), not for a union",
                );
                return None;
            }
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error_spanned_by(
                        ident,
                        format!(
                            "MetricsGroup needs a struct with named fields: the field names are \
                             the metric names (`struct {ident} {{ requests: Counter, … }}`)"
                        ),
                    );
                    return None;
                }
            },
        };
        let mut reader = Reader {
            cx,
            attrs,
            prefix: &prefix,
            names: BTreeMap::new(),
            samples: BTreeMap::new(),
            labels: BTreeMap::new(),
        };
        let body = match kind {
            GroupKind::Live => Body::Live(
                fields
                    .iter()
                    .filter_map(|field| Some(reader.live_field(field, field.ident.as_ref()?)))
                    .collect(),
            ),
            GroupKind::Snapshot => {
                let fields: Vec<SnapshotField<'a>> = fields
                    .iter()
                    .filter_map(|field| Some(reader.snapshot_field(field, field.ident.as_ref()?)))
                    .collect();
                reader.check_map_keys(&fields);
                Body::Snapshot(fields)
            }
        };
        Some(Self {
            ident,
            vis: &input.vis,
            generics: &input.generics,
            attrs,
            prefix,
            body,
        })
    }
}

/// Reads fields one by one, remembering the names given so far.
struct Reader<'c, 'a> {
    cx: &'c Ctxt,
    attrs: &'a ContainerAttrs,
    prefix: &'c str,
    /// Family names (with `_total` for counters) → the field that has it.
    names: BTreeMap<String, String>,
    /// Other sample names (`x_bucket`, `x_count`…) → the field, and its kind.
    samples: BTreeMap<String, (String, MetricKind)>,
    /// Label names of a snapshot struct's label fields → the field.
    labels: BTreeMap<String, String>,
}

impl<'a> Reader<'_, 'a> {
    fn live_field(&mut self, field: &'a Field, member: &'a Ident) -> LiveField<'a> {
        let cx = self.cx;
        let ty = &field.ty;
        let attrs = FieldAttrs::parse(cx, &field.attrs, GroupKind::Live);
        let field_name = member.unraw().to_string();
        let role = if attrs.skip.is_some() {
            not_applicable(cx, &attrs, &[SKIP], "a skipped field (#[metric(skip)])");
            LiveRole::Skip
        } else if let Some((kind, in_family)) = live_kind(ty).filter(|_| attrs.nested.is_none()) {
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
            if let (Some(buckets), false) = (&attrs.buckets, kind == MetricKind::Histogram) {
                let what = if in_family {
                    format!("a family of {}s", kind.describe())
                } else {
                    format!("a {}", kind.describe())
                };
                cx.error_spanned_by(
                    &buckets.key,
                    format!("`buckets` applies to histograms, and `{field_name}` is {what}"),
                );
            }
            let name = self.metric_name(&attrs, member, UnitPlace::Live, None);
            let help = self.help(&attrs, field, member);
            if let Some(name) = &name {
                self.claim(name, kind, &attrs, member);
            }
            LiveRole::Metric(Metric {
                name: name.unwrap_or_default(),
                help: help.unwrap_or_default(),
                buckets: attrs.buckets.map(|buckets| buckets.value),
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

    fn snapshot_field(&mut self, field: &'a Field, member: &'a Ident) -> SnapshotField<'a> {
        let cx = self.cx;
        let ty = &field.ty;
        let attrs = FieldAttrs::parse(cx, &field.attrs, GroupKind::Snapshot);
        let field_name = member.unraw().to_string();
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
        } else if attrs.nested.is_some() {
            not_applicable(cx, &attrs, &[NESTED], "a nested group (#[metric(nested)])");
            SnapshotRole::Nested
        } else if let Some(value_ty) = value_type(ty) {
            SnapshotRole::Value(self.value(&attrs, field, member, value_ty, false))
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
                Some(value_kind) => Some(self.value(&attrs, field, member, value_kind, true)),
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
        member: &Ident,
        value_type: ValueType,
        is_map: bool,
    ) -> Value {
        let cx = self.cx;
        not_applicable(
            cx,
            attrs,
            &[COUNTER, GAUGE, NAME, HELP, UNIT, SCALE, KEY],
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
        let name = self.metric_name(attrs, member, UnitPlace::Snapshot, implicit_unit);
        let help = self.help(attrs, field, member);
        if let Some(name) = &name {
            self.claim(name, kind, attrs, member);
        }
        Value {
            name: name.unwrap_or_default(),
            help: help.unwrap_or_default(),
            counter: attrs.counter.is_some(),
            scale: attrs.scale.as_ref().map_or(1.0, |scale| scale.value),
        }
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
        if let Err(message) = naming::check_metric_name(&name, !self.prefix.is_empty()) {
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

    /// Records the names a family writes; reports a clash with an earlier field's.
    fn claim(&mut self, name: &str, kind: MetricKind, attrs: &FieldAttrs, member: &Ident) {
        let field_name = member.unraw().to_string();
        let family = if kind == MetricKind::Counter && !name.ends_with("_total") {
            format!("{name}_total")
        } else {
            name.to_owned()
        };
        let origin = match &attrs.name {
            Some(given) => given.value.to_token_stream(),
            None => member.to_token_stream(),
        };
        let full = |name: &str| naming::join(self.prefix, name);
        let samples: Vec<String> = kind
            .sample_suffixes()
            .iter()
            .map(|suffix| format!("{family}{suffix}"))
            .collect();
        let clash = if let Some(first) = self.names.get(&family) {
            Some(format!(
                "duplicate metric name `{}`: field `{first}` has it already",
                full(&family)
            ))
        } else if let Some((first, first_kind)) = self.samples.get(&family) {
            Some(format!(
                "the metric name `{}` is taken: field `{first}`, a {}, writes samples of that \
                 name",
                full(&family),
                first_kind.describe()
            ))
        } else {
            samples.iter().find_map(|sample| {
                self.names.get(sample).map(|first| {
                    format!(
                        "the {} `{}` writes samples named `{}`, the name of field `{first}`",
                        kind.describe(),
                        full(&family),
                        full(sample)
                    )
                })
            })
        };
        match clash {
            Some(message) => self.cx.error_spanned_by(origin, message),
            None => {
                self.names.insert(family, field_name.clone());
                for sample in samples {
                    self.samples.insert(sample, (field_name.clone(), kind));
                }
            }
        }
    }

    /// A map's key label must not be one of the struct's label fields (its samples would
    /// carry the label twice).
    fn check_map_keys(&self, fields: &[SnapshotField<'_>]) {
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
