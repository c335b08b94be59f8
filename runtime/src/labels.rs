//! Typed labels: [`LabelValue`] (one label's value) and [`LabelSet`] (a struct of labels).
//!
//! Derive them (`#[derive(LabelValue)]` on an enum of unit variants, `#[derive(LabelSet)]`
//! on a struct): label names are field names, checked at compile time, and a set whose every
//! field is a closed enum (or `bool`) is **closed**: its cardinality is a constant and every
//! value has a dense index, so a [`Family`](crate::Family) keyed by it is a plain array.
//!
//! ```
//! use promforge::{LabelSet, LabelValue};
//!
//! #[derive(LabelValue, Clone, Copy)]
//! enum Method { Get, Post }
//!
//! #[derive(LabelValue, Clone, Copy)]
//! #[label(rename_all = "lowercase")]
//! enum Outcome { Ok, ServerError }
//!
//! #[derive(LabelSet, Clone, Copy)]
//! struct RequestLabels { method: Method, outcome: Outcome }
//!
//! assert_eq!(RequestLabels::CARDINALITY, Some(4));
//! assert_eq!(RequestLabels::NAMES, ["method", "outcome"]);
//! let labels = RequestLabels { method: Method::Post, outcome: Outcome::ServerError };
//! assert_eq!(labels.index(), 3);
//! let mut text = String::new();
//! labels.encode_labels(&mut text);
//! assert_eq!(text, r#"method="post",outcome="servererror""#);
//! ```

use std::borrow::Cow;

use std::hash::Hasher;

use crate::encoding::push_label_pair;

/// The value of one label.
///
/// Closed types (derived enums, `bool`) have a [`CARDINALITY`](Self::CARDINALITY) and a
/// dense [`index`](Self::index); open types (strings, integers) do not, and families keyed
/// by them are bounded by a cardinality limit instead. Derive it on an enum
/// ([`LabelValue`](macro@crate::LabelValue) has every attribute), or implement
/// [`label_value`](Self::label_value) for an open type of your own:
///
/// ```
/// use std::borrow::Cow;
///
/// use promforge::{Counter, Family, LabelSet, LabelValue, Registry};
///
/// /// A tenant id, written as `t-<id>`.
/// #[derive(Clone, PartialEq, Eq, Hash)]
/// struct Tenant(u32);
///
/// impl LabelValue for Tenant {
///     fn label_value(&self) -> Cow<'_, str> {
///         Cow::Owned(format!("t-{}", self.0))
///     }
/// }
///
/// #[derive(LabelSet, Clone, PartialEq, Eq, Hash)]
/// struct ByTenant {
///     tenant: Tenant,
/// }
///
/// let registry = Registry::new();
/// let logins = Family::<ByTenant, Counter>::new();
/// registry.register("logins", "Logins.", logins.clone())?;
/// logins.get(&ByTenant { tenant: Tenant(7) }).inc();
/// assert!(registry.render().contains("logins_total{tenant=\"t-7\"} 1\n"));
/// # Ok::<(), promforge::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a label value",
    label = "not a label value",
    note = "derive `LabelValue` on an enum of unit variants, or use `String`, `&str`, `bool` or an integer"
)]
pub trait LabelValue {
    /// `Some(n)` when the type has exactly `n` values, known at compile time; `None` for an
    /// open set of values.
    const CARDINALITY: Option<usize> = None;

    /// This value's position in `0..n` for a closed type (0 for an open one).
    #[inline]
    fn index(&self) -> usize {
        0
    }

    /// The text of the value at `index`, for a closed type.
    #[inline]
    fn value_at(index: usize) -> Option<&'static str>
    where
        Self: Sized,
    {
        let _ = index;
        None
    }

    /// The value's text, unescaped (the encoder escapes it).
    fn label_value(&self) -> Cow<'_, str>;

    /// The value's text kept beyond the value (borrowed for a closed type, copied for an
    /// open one): what `#[instrument_metrics(labels(…))]` takes from an argument at the start
    /// of a call, with its place among the type's values when the type is closed. A method
    /// of this trait, so that an argument that is not a label value is reported as exactly
    /// that.
    #[doc(hidden)]
    #[inline]
    fn __argument_label(&self) -> (Cow<'static, str>, Option<(usize, usize)>)
    where
        Self: Sized,
    {
        let index = self.index();
        match (Self::CARDINALITY, Self::value_at(index)) {
            (Some(cardinality), Some(text)) => (Cow::Borrowed(text), Some((cardinality, index))),
            _ => (Cow::Owned(self.label_value().into_owned()), None),
        }
    }

    /// Appends the value's text, escaped, to `out`: what a label set writes for it, and
    /// what an open [`Family`](crate::Family) looks its series up by. The default escapes
    /// [`label_value`](Self::label_value); integers write their digits without allocating.
    #[inline]
    fn encode_value(&self, out: &mut String) {
        crate::encoding::escape_label_value_into(&self.label_value(), out);
    }

    /// If `text` starts with what [`encode_value`](Self::encode_value) writes for this
    /// value, the rest of `text`. How an open family compares a lookup with a stored series
    /// without building the lookup's text.
    #[inline]
    fn strip_encoded<'t>(&self, text: &'t str) -> Option<&'t str> {
        crate::encoding::strip_escaped_label_value(text, &self.label_value())
    }

    /// Feeds the value's identity into a hasher (what an open family hashes on lookup):
    /// the index of a closed type, the text of an open one. Values with the same text must
    /// feed the same bytes.
    #[inline]
    fn hash_value<H: Hasher>(&self, state: &mut H)
    where
        Self: Sized,
    {
        if Self::CARDINALITY.is_some() {
            state.write_usize(self.index());
        } else {
            state.write(self.label_value().as_bytes());
            // 0xff never occurs in UTF-8: it ends the value, so ("ab", "c") ≠ ("a", "bc").
            state.write_u8(0xff);
        }
    }
}

/// A [`LabelValue`] with a closed set of values known at compile time: an enum deriving
/// `LabelValue` (the derive implements this trait too), or `bool`. A
/// [`StateSet`](crate::StateSet) has one series per value, so its type must be closed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a closed set of label values",
    label = "an open set of values (any string, any number)",
    note = "a StateSet writes one series per state, all known up front: use an enum of unit variants deriving `LabelValue` (or `bool`)"
)]
pub trait ClosedLabelValue: LabelValue {}

impl ClosedLabelValue for bool {}

/// A set of labels: label names and the values of one series.
///
/// Derive it on a struct with named fields whose types implement [`LabelValue`]; a unit
/// struct is the empty set. The derive checks the names at compile time (the Prometheus
/// rules, `le`/`quantile`/`__*` reserved, no duplicates after `#[label(rename = "…")]`);
/// [`LabelSet`](macro@crate::LabelSet) has every attribute. `()` is the empty set.
///
/// ```
/// use promforge::LabelSet;
///
/// #[derive(LabelSet)]
/// struct Route {
///     method: &'static str,
///     #[label(rename = "path")]
///     route: String,
/// }
///
/// assert_eq!(Route::NAMES, ["method", "path"]);
/// assert_eq!(Route::CARDINALITY, None); // strings: an open set
/// let mut text = String::new();
/// Route { method: "GET", route: "/a\"b".into() }.encode_labels(&mut text);
/// assert_eq!(text, r#"method="GET",path="/a\"b""#);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a label set",
    label = "not a label set",
    note = "derive `LabelSet` on a struct whose fields are the labels (or use `()` for no labels)"
)]
pub trait LabelSet {
    /// The label names, in field order.
    const NAMES: &'static [&'static str];

    /// `Some(n)` when every label is closed: the number of distinct label sets.
    const CARDINALITY: Option<usize>;

    /// This set's position in `0..n` when closed (mixed radix over the fields, first field
    /// most significant). Meaningless for open sets.
    fn index(&self) -> usize;

    /// Appends `name="value",…`, values escaped.
    fn encode_labels(&self, out: &mut String);

    /// Appends the labels of the closed set's member at `index` (see [`index`](Self::index)).
    fn encode_labels_at(index: usize, out: &mut String);

    /// Whether `text` is exactly what [`encode_labels`](Self::encode_labels) writes for this
    /// set. The derive compares field by field without building the text; this default
    /// builds it.
    #[inline]
    fn matches_encoded(&self, text: &str) -> bool {
        let mut own = String::new();
        self.encode_labels(&mut own);
        own == text
    }

    /// Feeds this set's identity into a hasher (what an open family hashes on lookup). Sets
    /// with the same text must feed the same bytes. The derive hashes field by field; this
    /// default hashes the text.
    #[inline]
    fn hash_labels<H: Hasher>(&self, state: &mut H)
    where
        Self: Sized,
    {
        let mut own = String::new();
        self.encode_labels(&mut own);
        state.write(own.as_bytes());
    }
}

impl LabelValue for bool {
    const CARDINALITY: Option<usize> = Some(2);

    #[inline]
    fn index(&self) -> usize {
        usize::from(*self)
    }

    fn value_at(index: usize) -> Option<&'static str> {
        ["false", "true"].get(index).copied()
    }

    fn label_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

impl LabelValue for &str {
    fn label_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl LabelValue for String {
    fn label_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl LabelValue for Cow<'_, str> {
    fn label_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl LabelValue for std::sync::Arc<str> {
    fn label_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

macro_rules! integer_label_values {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            fn label_value(&self) -> Cow<'_, str> {
                Cow::Owned(itoa::Buffer::new().format(*self).to_owned())
            }

            #[inline]
            fn encode_value(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }

            #[inline]
            fn strip_encoded<'t>(&self, text: &'t str) -> Option<&'t str> {
                text.strip_prefix(itoa::Buffer::new().format(*self))
            }

            #[inline]
            fn hash_value<H: Hasher>(&self, state: &mut H) {
                state.write(&self.to_le_bytes());
            }
        }
    )*};
}

integer_label_values!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// The empty label set.
impl LabelSet for () {
    const NAMES: &'static [&'static str] = &[];
    const CARDINALITY: Option<usize> = Some(1);

    fn index(&self) -> usize {
        0
    }

    fn encode_labels(&self, _out: &mut String) {}

    fn encode_labels_at(_index: usize, _out: &mut String) {}
}

/// Helpers the derives call; not a public API.
#[doc(hidden)]
pub mod derive_support {
    use super::*;

    /// The product of the fields' cardinalities; `None` if any is open (or on overflow).
    pub const fn product(cardinalities: &[Option<usize>]) -> Option<usize> {
        let mut total: usize = 1;
        let mut i = 0;
        while i < cardinalities.len() {
            match cardinalities[i] {
                Some(n) => match total.checked_mul(n) {
                    Some(t) => total = t,
                    None => return None,
                },
                None => return None,
            }
            i += 1;
        }
        Some(total)
    }

    /// One step of the mixed-radix index: `acc * radix + digit`.
    #[inline(always)]
    pub const fn mix(acc: usize, cardinality: Option<usize>, digit: usize) -> usize {
        match cardinality {
            Some(n) => acc * n + digit,
            None => acc,
        }
    }

    /// Splits `index` into one digit per field (first field most significant).
    pub fn split_index<const N: usize>(
        mut index: usize,
        cardinalities: [Option<usize>; N],
    ) -> [usize; N] {
        let mut digits = [0; N];
        for i in (0..N).rev() {
            let n = cardinalities[i].unwrap_or(1).max(1);
            digits[i] = index % n;
            index /= n;
        }
        digits
    }

    /// Appends `name="value"` for a field's value.
    #[inline]
    pub fn push_label<V: LabelValue + ?Sized>(out: &mut String, name: &str, value: &V) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        value.encode_value(out);
        out.push('"');
    }

    /// If `text` starts with `prefix` (`name="`, or `,name="` after the first label), then
    /// `value` escaped, then `"`: the rest of `text`.
    #[inline]
    pub fn strip_label<'t, V: LabelValue + ?Sized>(
        text: &'t str,
        prefix: &str,
        value: &V,
    ) -> Option<&'t str> {
        value
            .strip_encoded(text.strip_prefix(prefix)?)?
            .strip_prefix('"')
    }

    /// Appends `name="value"` for the closed type `V`'s value at `digit`.
    #[inline]
    pub fn push_label_at<V: LabelValue>(out: &mut String, name: &str, digit: usize) {
        push_label_pair(out, name, V::value_at(digit).unwrap_or(""));
    }
}

#[cfg(test)]
mod tests {
    use super::derive_support::*;
    use super::*;

    #[test]
    fn mixed_radix_round_trips() {
        let cards = [Some(3), Some(2), Some(4)];
        assert_eq!(product(&cards), Some(24));
        for a in 0..3 {
            for b in 0..2 {
                for c in 0..4 {
                    let i = mix(mix(mix(0, cards[0], a), cards[1], b), cards[2], c);
                    assert_eq!(split_index(i, cards), [a, b, c]);
                }
            }
        }
        assert_eq!(product(&[Some(2), None]), None);
        assert_eq!(product(&[Some(usize::MAX), Some(2)]), None);
        assert_eq!(product(&[]), Some(1));
    }

    #[test]
    fn builtin_values() {
        assert_eq!(true.label_value(), "true");
        assert_eq!(bool::value_at(0), Some("false"));
        assert_eq!(<bool as LabelValue>::CARDINALITY, Some(2));
        assert_eq!(42u16.label_value(), "42");
        assert_eq!((-7i64).label_value(), "-7");
        assert_eq!(<String as LabelValue>::CARDINALITY, None);
    }

    #[test]
    fn values_encode_escaped() {
        fn encoded<V: LabelValue>(v: V) -> String {
            let mut out = String::new();
            v.encode_value(&mut out);
            out
        }
        assert_eq!(encoded(-42i64), "-42");
        assert_eq!(encoded(u128::MAX), u128::MAX.to_string());
        assert_eq!(encoded("a\"b\\c\nd é"), "a\\\"b\\\\c\\nd é");
        assert_eq!(encoded(true), "true");
    }

    #[test]
    fn stripping_mirrors_encoding() {
        fn check<V: LabelValue>(v: V, other: V) {
            let mut text = String::new();
            v.encode_value(&mut text);
            text.push_str("\",rest");
            assert_eq!(v.strip_encoded(&text), Some("\",rest"));
            assert_eq!(other.strip_encoded(&text), None);
        }
        check(true, false);
        check("abc", "abd");
        check("a\"b\\c\nd é", "a\"b\\c\nd e");
        check("\"", "\\");
        check(String::from("x"), String::from("xy"));
        check(42u16, 43u16);
        check(-1i128, 1i128);
        assert_eq!("ab".strip_encoded("a"), None);
        assert_eq!(
            "a\"".strip_encoded("a\""),
            None,
            "an unescaped quote is not a match"
        );
    }
}
