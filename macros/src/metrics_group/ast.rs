//! The derive's input as a model: the struct, what each field is, and the names it renders
//! to; `live.rs` and `snapshot.rs` expand it. [`Input::from_syn`] reads the struct's shape
//! and hands each field to `check.rs`, which checks it against the others; a field's type is
//! classified in `types.rs`. Every mistake is recorded in the [`Ctxt`], on the user's token,
//! and the reading goes on.

use quote::quote;
use syn::{Data, DeriveInput, Field, Fields, Generics, Ident, Type, Visibility};

use super::attr::{ContainerAttrs, GroupKind, Scale};
use super::check::{self, Reader};
use super::types::open_label_type;
use crate::ctxt::Ctxt;
use crate::metric_options::{Buckets, SummaryOptions};
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
    /// The `summary(…)`s of a snapshot group (written after the fields' families).
    pub(super) summaries: Vec<AggregateSummary<'a>>,
}

/// A summary family from aggregates of a snapshot struct (`#[metrics(summary(…))]`):
/// `_sum` and `_count`, no quantiles.
pub(super) struct AggregateSummary<'a> {
    /// The name after the prefix (ending in its base unit).
    pub(super) name: String,
    pub(super) help: String,
    /// The field holding the total of the observations, or their average (`avg`).
    pub(super) sum: AggregateField<'a>,
    /// `sum` is an average: the sum is `sum × count`.
    pub(super) avg: bool,
    /// The field holding the number of observations.
    pub(super) count: AggregateField<'a>,
    /// Converts the sum to the base unit.
    pub(super) scale: Scale,
}

/// A field a summary reads.
pub(super) struct AggregateField<'a> {
    pub(super) member: &'a Ident,
    pub(super) ty: &'a Type,
    /// A `Duration` (read in seconds) rather than a number.
    pub(super) duration: bool,
    /// An `f64`, read as it is.
    pub(super) is_f64: bool,
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
    /// The settings of a `Summary` field (empty for the defaults, and for other metrics).
    pub(super) summary: SummaryOptions,
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
    pub(super) scale: Scale,
    /// The family's name after the prefix, as exposed (`_total` on counters).
    pub(super) family: String,
    /// `labels(…)`: fixed labels on the value's samples, in the order written.
    pub(super) labels: Vec<(String, String)>,
    /// The value writes into the family of an earlier field with the same name (both have
    /// fixed labels): it adds no family of its own.
    pub(super) shared: bool,
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
                if let Err(message) = names::check_prefix(&prefix) {
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
        if let (Some((_, labels)), false) = (&attrs.labels, attrs.snapshot.is_some()) {
            if let Some(name) = open_label_type(labels) {
                cx.error_spanned_by(
                    labels,
                    format!(
                        "`labels = {name}`: a `{name}` is one label's value, not a set of labels \
                         (it has no label name); a label set is a struct deriving LabelSet whose \
                         field names are the label names, like `#[derive(LabelSet)] struct \
                         WorkerLabels {{ worker: String }}` and `labels = WorkerLabels`"
                    ),
                );
            }
        }
        let mut reader = Reader::new(cx, attrs, &input.generics, &prefix);
        if kind == GroupKind::Live {
            for summary in &attrs.summaries {
                cx.error_spanned_by(
                    &summary.key,
                    "`summary(…)` is for snapshot groups (#[metrics(snapshot)]), which read \
                     aggregates the program keeps; in a live group, give the struct a \
                     `Summary` field",
                );
            }
        }
        let mut summaries = Vec::new();
        let body = match kind {
            GroupKind::Live => {
                let fields: Vec<LiveField<'a>> = fields
                    .iter()
                    .filter_map(|field| Some(reader.live_field(field, field.ident.as_ref()?)))
                    .collect();
                check::nested_types(
                    cx,
                    fields.iter().filter_map(|field| match field.role {
                        LiveRole::Nested => Some((field.member, field.ty)),
                        _ => None,
                    }),
                    false,
                );
                Body::Live(fields)
            }
            GroupKind::Snapshot => {
                let fields: Vec<SnapshotField<'a>> = fields
                    .iter()
                    .filter_map(|field| Some(reader.snapshot_field(field, field.ident.as_ref()?)))
                    .collect();
                reader.check_map_keys(&fields);
                reader.check_fixed_labels(&fields);
                check::nested_types(
                    cx,
                    fields.iter().filter_map(|field| match &field.role {
                        SnapshotRole::Nested => Some((field.member, field.ty)),
                        SnapshotRole::Map {
                            value_ty,
                            value: None,
                            ..
                        } => Some((field.member, *value_ty)),
                        _ => None,
                    }),
                    true,
                );
                summaries = attrs
                    .summaries
                    .iter()
                    .filter_map(|summary| reader.summary(summary, ident, &fields))
                    .collect();
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
            summaries,
        })
    }
}
