//! What a field's type is, by the name of its last path segment (the derive sees tokens, not
//! types): a metric handle and its kind, a snapshot value, a map, a label value, a number.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, PathSegment, Type};

/// What a live metric field's type is, by its last path segment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum MetricKind {
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
            "Counter" | "FloatCounter" | "ShardedCounter" => Self::Counter,
            "Gauge" | "FloatGauge" => Self::Gauge,
            "Histogram" => Self::Histogram,
            "Summary" => Self::Summary,
            "StateSet" => Self::StateSet,
            _ => return None,
        })
    }

    pub(super) fn describe(self) -> &'static str {
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
    pub(super) fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Histogram => &promforge_rules::HISTOGRAM_SAMPLE_SUFFIXES,
            Self::Summary => &promforge_rules::SUMMARY_SAMPLE_SUFFIXES,
            _ => &[],
        }
    }
}

/// The kind of a live field's type: `Some((kind, in_a_family))` for a metric type.
pub(super) fn live_kind(ty: &Type) -> Option<(MetricKind, bool)> {
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
pub(super) fn last_segment(ty: &Type) -> Option<&PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

/// The type arguments of a path segment (`[K, V]` of `HashMap<K, V>`).
pub(super) fn type_args(segment: &PathSegment) -> Vec<&Type> {
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
pub(super) enum ValueType {
    Number,
    Bool,
    Duration,
}

pub(super) fn value_type(ty: &Type) -> Option<ValueType> {
    let segment = last_segment(ty)?;
    let name = segment.ident.to_string();
    if !VALUE_TYPES.contains(&name.as_str()) {
        return None;
    }
    Some(match name.as_str() {
        // An `Option` of something else is an optional nested group.
        "Option" => match type_args(segment).first() {
            Some(inner) => value_type(inner)?,
            None => ValueType::Number,
        },
        "bool" => ValueType::Bool,
        "Duration" => ValueType::Duration,
        _ => ValueType::Number,
    })
}

/// `(K, V)` of a `HashMap<K, V>` or `BTreeMap<K, V>`.
pub(super) fn map_types(ty: &Type) -> Option<(&Type, &Type)> {
    let segment = last_segment(ty)?;
    if segment.ident != "HashMap" && segment.ident != "BTreeMap" {
        return None;
    }
    match type_args(segment).as_slice() {
        [key, value, ..] => Some((key, value)),
        _ => None,
    }
}

/// The numeric types a summary's fields may have.
pub(super) const NUMBER_TYPES: [&str; 12] = [
    "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize", "f32", "f64",
];

/// The type as written, without spaces (`Option<i64>`), for messages.
pub(super) fn type_text(ty: &Type) -> String {
    let text = ty.to_token_stream().to_string().replace(' ', "");
    match last_segment(ty) {
        Some(segment) if segment.arguments.is_none() => segment.ident.to_string(),
        _ => text,
    }
}

/// The name of a type that is one label's value but no label set (and no snapshot value):
/// `String`, `str`, `&str`, `Cow<str>`, `Arc<str>`, `Box<str>`, `char`.
pub(super) fn open_label_type(ty: &Type) -> Option<String> {
    match ty {
        Type::Reference(reference) => {
            open_label_type(&reference.elem).map(|inner| format!("&{inner}"))
        }
        Type::Group(group) => open_label_type(&group.elem),
        Type::Paren(paren) => open_label_type(&paren.elem),
        _ => {
            let segment = last_segment(ty)?;
            let name = segment.ident.to_string();
            match name.as_str() {
                "String" | "str" | "char" => Some(name),
                "Cow" | "Arc" | "Rc" | "Box" => {
                    let inner = type_args(segment).last().copied()?;
                    (last_segment(inner)?.ident == "str").then(|| {
                        ty.to_token_stream()
                            .to_string()
                            .replace(' ', "")
                            .replace("'_,", "")
                    })
                }
                _ => None,
            }
        }
    }
}

/// The name of a primitive number (or `bool`) type.
pub(super) fn number_type(ty: &Type) -> Option<String> {
    let segment = last_segment(ty).filter(|segment| segment.arguments.is_none())?;
    let name = segment.ident.to_string();
    (NUMBER_TYPES.contains(&name.as_str()) || name == "bool").then_some(name)
}

/// The signed integer type a value has (looking through `Option`), if it has one.
pub(super) fn signed_integer(ty: &Type) -> Option<String> {
    let segment = last_segment(ty)?;
    let name = segment.ident.to_string();
    if name == "Option" {
        return type_args(segment)
            .first()
            .and_then(|inner| signed_integer(inner));
    }
    ["i8", "i16", "i32", "i64", "i128", "isize"]
        .contains(&name.as_str())
        .then_some(name)
}
