//! What both attributes say about how observations are kept, read and checked here for
//! both: a histogram's bucket bounds (`buckets = [0.1, 1.0]`, a preset, or computed at
//! compile time with `exponential(start, factor, count)` / `linear(start, width, count)`),
//! and a summary's quantiles and window (`quantiles = [0.5, 0.99]`, `max_age = "5m"`,
//! `age_buckets = 5`). Every mistake is an error on the user's token (the literal, the
//! argument); several in one value are combined.

use std::time::Duration;

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote};
use syn::{Expr, ExprArray, ExprCall, ExprLit, Lit, LitStr};

use crate::attr_util::{float, number, tokens_text};
use promforge_rules::{BoundsCheck, BucketError, Generator, MAX_GENERATED_BOUNDS};

use crate::symbol::{self, EXPONENTIAL, HTTP, LATENCY, LINEAR, Symbol};

/// The most slices of a summary's window (the runtime's rule).
pub(crate) const MAX_COUNT: usize = promforge_rules::MAX_AGE_BUCKETS;

/// A histogram's upper bounds.
pub(crate) enum Buckets {
    /// `latency` or `http`: the runtime's constants.
    Preset(Preset),
    /// Bounds known at compile time: a list as written, or computed by a generator. Finite
    /// and strictly increasing.
    List(Vec<f64>),
    /// `SOME_CONST`: the path of a `&'static [f64]`, checked when the histogram is made
    /// (`#[derive(MetricsGroup)]` only).
    Path(Box<Expr>),
}

/// A named bucket layout of the runtime.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Preset {
    /// `promforge::instrument::BUCKETS_LATENCY`: 1 ms to 10 s.
    Latency,
    /// `promforge::instrument::BUCKETS_HTTP`: 10 ms to 10 s.
    Http,
}

impl Preset {
    const ALL: [(Symbol, Self); 2] = [(LATENCY, Self::Latency), (HTTP, Self::Http)];

    /// The preset written `name`, if any.
    fn named(name: &Expr) -> Option<Self> {
        let Expr::Path(path) = name else {
            return None;
        };
        if path.qself.is_some() || !path.attrs.is_empty() {
            return None;
        }
        Self::ALL
            .iter()
            .find(|(symbol, _)| path.path == *symbol)
            .map(|&(_, preset)| preset)
    }

    fn constant(self) -> TokenStream {
        match self {
            Self::Latency => quote!(BUCKETS_LATENCY),
            Self::Http => quote!(BUCKETS_HTTP),
        }
    }
}

/// How `buckets = …` is written, for error messages.
fn bucket_forms(paths: bool) -> String {
    let path = if paths {
        ", or the path of a `&'static [f64]` constant"
    } else {
        ""
    };
    format!(
        "a list like `[0.01, 0.1, 1.0]`, `exponential(start, factor, count)`, \
         `linear(start, width, count)` or a preset ({}){path}",
        presets()
    )
}

/// `` `latency` or `http` ``.
fn presets() -> String {
    symbol::list(&Preset::ALL.map(|(symbol, _)| symbol))
}

impl Buckets {
    /// Reads the value of `buckets = …`. With `paths`, a path other than a preset's name is
    /// a constant holding the bounds; without, it is an unknown preset.
    pub(crate) fn parse(expr: &Expr, paths: bool) -> syn::Result<Self> {
        if let Some(preset) = Preset::named(expr) {
            return Ok(Self::Preset(preset));
        }
        match expr {
            Expr::Array(array) => list(array).map(Self::List),
            Expr::Call(call) => generated(call).map(Self::List),
            Expr::Path(_) | Expr::Field(_) if paths => Ok(Self::Path(Box::new(expr.clone()))),
            Expr::Path(path) if path.path.get_ident().is_some() => Err(syn::Error::new_spanned(
                expr,
                format!(
                    "unknown bucket preset `{}`: expected {}, the bounds themselves, like \
                     `[0.01, 0.1, 1.0]`, or `exponential(start, factor, count)` / \
                     `linear(start, width, count)`",
                    tokens_text(expr),
                    presets()
                ),
            )),
            _ => Err(syn::Error::new_spanned(
                expr,
                format!("expected the bucket upper bounds: {}", bucket_forms(paths)),
            )),
        }
    }

    /// A `&'static [f64]` expression; `instrument` is `<krate>::__private::instrument`.
    pub(crate) fn to_static_slice(&self, instrument: &TokenStream) -> TokenStream {
        match self {
            Self::Preset(preset) => {
                let constant = preset.constant();
                quote!(#instrument::#constant)
            }
            Self::List(bounds) => f64_slice(bounds),
            Self::Path(path) => path.to_token_stream(),
        }
    }
}

/// `&[0.1f64, 1f64]` (promoted to a `&'static`): the values must be finite.
pub(crate) fn f64_slice(values: &[f64]) -> TokenStream {
    let values = values.iter().map(|&value| float(value));
    quote!(&[#(#values),*])
}

/// Collects errors, to report every mistake of a value at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn at(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(errors) => Err(errors),
            None => Ok(value),
        }
    }
}

/// `[0.005, 0.01, 1]`: not empty, number literals, finite, strictly increasing.
fn list(array: &ExprArray) -> syn::Result<Vec<f64>> {
    if array.elems.is_empty() {
        return Err(syn::Error::new_spanned(
            array,
            "a histogram needs at least one bucket upper bound (the `+Inf` bucket is always \
             added)",
        ));
    }
    let mut errors = Errors::default();
    let mut bounds = Vec::with_capacity(array.elems.len());
    // The runtime's rule, one bound at a time, so that each wrong one is reported on its
    // token.
    let mut check = BoundsCheck::new();
    let mut previous: Option<&Expr> = None;
    for elem in &array.elems {
        let Some(bound) = number(elem) else {
            errors.at(
                elem,
                "a bucket upper bound must be a number literal (the `+Inf` bucket is always \
                 added)",
            );
            continue;
        };
        match check.push(bound) {
            Ok(()) => {
                previous = Some(elem);
                bounds.push(bound);
            }
            Err(BucketError::NotIncreasing { .. }) => errors.at(
                elem,
                format!(
                    "bucket upper bounds must be strictly increasing: `{}` comes after `{}`",
                    tokens_text(elem),
                    previous.map(tokens_text).unwrap_or_default()
                ),
            ),
            Err(_) => errors.at(
                elem,
                format!(
                    "the bucket upper bound `{}` is not a finite number (the `+Inf` bucket \
                     is always added)",
                    tokens_text(elem)
                ),
            ),
        }
    }
    errors.finish(bounds)
}

/// `exponential(start, factor, count)` or `linear(start, width, count)`, computed as the
/// runtime's `exponential_buckets` / `linear_buckets` compute them.
fn generated(call: &ExprCall) -> syn::Result<Vec<f64>> {
    let generator = match &*call.func {
        Expr::Path(path) if path.path == EXPONENTIAL => EXPONENTIAL,
        Expr::Path(path) if path.path == LINEAR => LINEAR,
        func => {
            return Err(syn::Error::new_spanned(
                func,
                format!(
                    "unknown bucket generator `{}`: expected `exponential(start, factor, \
                     count)` or `linear(start, width, count)`",
                    tokens_text(func)
                ),
            ));
        }
    };
    let exponential = generator == EXPONENTIAL;
    let rule = if exponential {
        Generator::Exponential
    } else {
        Generator::Linear
    };
    let (second, example) = if exponential {
        ("factor", "exponential(0.001, 2.0, 10)")
    } else {
        ("width", "linear(0.1, 0.1, 5)")
    };
    let args: Vec<&Expr> = call.args.iter().collect();
    let [start_arg, step_arg, count_arg] = args[..] else {
        return Err(syn::Error::new(
            call.paren_token.span.join(),
            format!(
                "`{generator}` takes three arguments: `{generator}(start, {second}, count)`, \
                 like `{example}`"
            ),
        ));
    };
    let mut errors = Errors::default();
    let mut argument = |arg: &Expr, what: &str| {
        let value = number(arg).filter(|value| value.is_finite());
        if value.is_none() {
            errors.at(
                arg,
                format!("the {what} of `{generator}(…)` is a finite number literal"),
            );
        }
        value
    };
    let start = argument(start_arg, "start");
    let step = argument(step_arg, second);
    // The runtime's rules (`promforge_rules::Generator`), each on its argument's token.
    if start.is_some_and(|start| !rule.start_ok(start)) {
        errors.at(
            start_arg,
            format!(
                "the start of exponential buckets must be greater than 0, and `{}` is not: \
                 every bound is the start times a power of the factor",
                tokens_text(start_arg)
            ),
        );
    }
    match step {
        Some(step) if !rule.step_ok(step) && exponential => errors.at(
            step_arg,
            format!(
                "the factor of exponential buckets must be greater than 1, and `{}` is not: \
                 each bound is the one before times the factor",
                tokens_text(step_arg)
            ),
        ),
        Some(step) if !rule.step_ok(step) => errors.at(
            step_arg,
            format!(
                "the width of linear buckets must be greater than 0, and `{}` is not: each \
                 bound is the one before plus the width",
                tokens_text(step_arg)
            ),
        ),
        _ => {}
    }
    let count = match whole_number(count_arg) {
        Some(count) if Generator::count_ok(count) => Some(count),
        _ => {
            errors.at(
                count_arg,
                format!(
                    "the count of `{generator}(…)` is a whole number from 1 to \
                     {MAX_GENERATED_BOUNDS}: how many bounds to make (the `+Inf` bucket is \
                     always added)"
                ),
            );
            None
        }
    };
    // A missing value recorded its error.
    let (Some(start), Some(step), Some(count)) = (start, step, count) else {
        return errors.finish(Vec::new());
    };
    errors.finish(())?;
    match rule.bounds(start, step, count) {
        Ok(bounds) => Ok(bounds),
        Err(BucketError::NotFinite { index, .. }) => Err(syn::Error::new_spanned(
            call,
            format!(
                "`{}` overflows: bound {} is not a finite number; use a smaller start, {second} \
                 or count",
                tokens_text(call),
                index + 1
            ),
        )),
        Err(BucketError::NotIncreasing { before, after, .. }) => Err(syn::Error::new_spanned(
            call,
            format!(
                "`{}` makes bounds that are not strictly increasing once rounded to 15 \
                 significant digits (`{after}` comes after `{before}`): use a larger {second}",
                tokens_text(call),
            ),
        )),
        // The arguments were checked above, one by one.
        Err(other) => Err(syn::Error::new_spanned(call, other)),
    }
}

/// An integer literal's value (no sign, no float).
pub(crate) fn whole_number(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal),
            ..
        }) => literal.base10_parse().ok(),
        Expr::Group(group) => whole_number(&group.expr),
        Expr::Paren(paren) => whole_number(&paren.expr),
        _ => None,
    }
}

/// A summary's settings; `None` keeps the runtime's default.
#[derive(Default)]
pub(crate) struct SummaryOptions {
    /// `quantiles = [0.5, 0.99]`: each in (0, 1), no duplicates, as written.
    pub(crate) quantiles: Option<Vec<f64>>,
    /// `max_age = "5m"`.
    pub(crate) max_age: Option<Duration>,
    /// `age_buckets = 5`.
    pub(crate) age_buckets: Option<usize>,
}

impl SummaryOptions {
    /// The setter calls of the runtime's `FieldOptions` and `instrument::SummaryOptions`,
    /// which share their names: `.quantiles(&[…]).max_age(…).age_buckets(…)`, for the
    /// settings given.
    pub(crate) fn setters(&self) -> TokenStream {
        let mut out = TokenStream::new();
        if let Some(quantiles) = &self.quantiles {
            let slice = f64_slice(quantiles);
            out.extend(quote!(.quantiles(#slice)));
        }
        if let Some(max_age) = self.max_age {
            let millis =
                Literal::u64_suffixed(u64::try_from(max_age.as_millis()).unwrap_or(u64::MAX));
            out.extend(quote!(.max_age(::core::time::Duration::from_millis(#millis))));
        }
        if let Some(age_buckets) = self.age_buckets {
            let age_buckets = Literal::usize_suffixed(age_buckets);
            out.extend(quote!(.age_buckets(#age_buckets)));
        }
        out
    }
}

/// `quantiles = [0.5, 0.9, 0.99]`: number literals strictly between 0 and 1, no value twice
/// (any order: the summary sorts them).
pub(crate) fn parse_quantiles(expr: &Expr) -> syn::Result<Vec<f64>> {
    let Expr::Array(array) = expr else {
        return Err(syn::Error::new_spanned(
            expr,
            "expected a list of quantiles, like `quantiles = [0.5, 0.9, 0.99]`",
        ));
    };
    if array.elems.is_empty() {
        return Err(syn::Error::new_spanned(
            array,
            "give at least one quantile, like `quantiles = [0.5, 0.99]` (leave `quantiles` \
             out for the defaults: 0.5, 0.9, 0.95, 0.99)",
        ));
    }
    let mut errors = Errors::default();
    let mut quantiles: Vec<(f64, &Expr)> = Vec::with_capacity(array.elems.len());
    for elem in &array.elems {
        let Some(quantile) = number(elem) else {
            errors.at(elem, "a quantile is a float literal, like `0.99`");
            continue;
        };
        if !promforge_rules::quantile_ok(quantile) {
            errors.at(
                elem,
                format!(
                    "the quantile `{}` is not strictly between 0 and 1: a quantile is a \
                     fraction, like `0.5` (the median) or `0.99`",
                    tokens_text(elem)
                ),
            );
            continue;
        }
        if let Some((_, first)) = quantiles.iter().find(|(seen, _)| *seen == quantile) {
            errors.at(
                elem,
                format!(
                    "the quantile `{}` is given twice (first as `{}`): give each once",
                    tokens_text(elem),
                    tokens_text(first)
                ),
            );
            continue;
        }
        quantiles.push((quantile, elem));
    }
    errors.finish(
        quantiles
            .into_iter()
            .map(|(quantile, _)| quantile)
            .collect(),
    )
}

/// The units of `max_age`, with their length in milliseconds.
const DURATION_UNITS: [(&str, u64); 4] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)];

/// `max_age = "5m"`: whole numbers with a unit (`ms`, `s`, `m`, `h`), one or more
/// (`"1h30m"`), greater than zero.
pub(crate) fn parse_max_age(literal: &LitStr) -> syn::Result<Duration> {
    let text = literal.value();
    let wrong = |why: &str| {
        syn::Error::new(
            literal.span(),
            format!(
                "`max_age = \"{text}\"`: {why}; a duration is a whole number and a unit (`ms`, \
                 `s`, `m`, `h`), like \"30s\", \"5m\", \"1h\", \"500ms\" or \"1h30m\""
            ),
        )
    };
    let mut millis: u64 = 0;
    let mut rest = text.as_str();
    if rest.is_empty() {
        return Err(wrong("the duration is empty"));
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(wrong(&format!("expected a number at `{rest}`")));
        }
        let (number, after) = rest.split_at(digits);
        let letters = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, after) = after.split_at(letters);
        let Some(&(_, factor)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
            let why = if unit.is_empty() {
                format!("`{number}` has no unit")
            } else {
                format!("`{unit}` is not a unit")
            };
            return Err(wrong(&why));
        };
        let part = number
            .parse::<u64>()
            .ok()
            .and_then(|number| number.checked_mul(factor))
            .and_then(|part| millis.checked_add(part));
        millis = part.ok_or_else(|| wrong("the duration is too long"))?;
        rest = after;
    }
    if millis == 0 {
        return Err(wrong(
            "the window must be longer than zero (the quantiles look back that far)",
        ));
    }
    Ok(Duration::from_millis(millis))
}

/// `age_buckets = 5`: a whole number from 1 to [`MAX_COUNT`].
pub(crate) fn parse_age_buckets(expr: &Expr) -> syn::Result<usize> {
    match whole_number(expr) {
        Some(count) if promforge_rules::age_buckets_ok(count) => Ok(count),
        _ => Err(syn::Error::new_spanned(
            expr,
            format!(
                "`age_buckets` is a whole number from 1 to {MAX_COUNT}: in how many slices the \
                 window is kept (the oldest slice is dropped as time passes), like \
                 `age_buckets = 5`"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(text: &str, paths: bool) -> Result<Vec<f64>, Vec<String>> {
        let expr: Expr = syn::parse_str(text).expect("expression");
        match Buckets::parse(&expr, paths) {
            Ok(Buckets::List(bounds)) => Ok(bounds),
            Ok(Buckets::Preset(preset)) => Err(vec![format!("{preset:?}")]),
            Ok(Buckets::Path(path)) => Err(vec![format!("path {}", tokens_text(&path))]),
            Err(error) => Err(error.into_iter().map(|e| e.to_string()).collect()),
        }
    }

    fn first_error(result: Result<Vec<f64>, Vec<String>>) -> String {
        result
            .err()
            .and_then(|errors| errors.into_iter().next())
            .unwrap_or_default()
    }

    #[test]
    fn lists_presets_and_paths() {
        assert_eq!(
            buckets("[-1, 0.5, 1e3]", false),
            Ok(vec![-1.0, 0.5, 1000.0])
        );
        assert_eq!(buckets("latency", false), Err(vec!["Latency".to_owned()]));
        assert_eq!(buckets("http", true), Err(vec!["Http".to_owned()]));
        assert_eq!(
            buckets("my::BOUNDS", true),
            Err(vec!["path my::BOUNDS".to_owned()])
        );
        assert!(first_error(buckets("slow", false)).starts_with("unknown bucket preset `slow`"));
        assert!(
            first_error(buckets("my::BOUNDS", false))
                .starts_with("expected the bucket upper bounds: a list like")
        );
        assert_eq!(
            buckets("[1.0, 0.5, 0.5, x, 1e999]", false).expect_err("an error"),
            [
                "bucket upper bounds must be strictly increasing: `0.5` comes after `1.0`",
                "bucket upper bounds must be strictly increasing: `0.5` comes after `1.0`",
                "a bucket upper bound must be a number literal (the `+Inf` bucket is always \
                 added)",
                "the bucket upper bound `1e999` is not a finite number (the `+Inf` bucket is \
                 always added)",
            ]
        );
        assert!(first_error(buckets("[]", false)).starts_with("a histogram needs at least one"));
    }

    #[test]
    fn generators_compute_what_the_runtime_computes() {
        assert_eq!(
            buckets("exponential(0.001, 2.0, 10)", false),
            Ok(vec![
                0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512
            ])
        );
        assert_eq!(
            buckets("exponential(1, 10, 3)", false),
            Ok(vec![1.0, 10.0, 100.0])
        );
        assert_eq!(
            buckets("linear(0.1, 0.1, 5)", false),
            Ok(vec![0.1, 0.2, 0.3, 0.4, 0.5])
        );
        assert_eq!(
            buckets("linear(-1, 0.5, 3)", false),
            Ok(vec![-1.0, -0.5, 0.0])
        );
        assert_eq!(
            buckets("exponential(0.001, 1.5, 4)", false),
            Ok(vec![0.001, 0.0015, 0.00225, 0.003375])
        );
    }

    #[test]
    fn generator_mistakes_point_at_the_argument() {
        let errors = |text| buckets(text, false).expect_err("an error");
        assert_eq!(
            errors("exponential(0, 1.0, 0)"),
            [
                "the start of exponential buckets must be greater than 0, and `0` is not: \
                 every bound is the start times a power of the factor",
                "the factor of exponential buckets must be greater than 1, and `1.0` is not: \
                 each bound is the one before times the factor",
                "the count of `exponential(…)` is a whole number from 1 to 1000: how many \
                 bounds to make (the `+Inf` bucket is always added)",
            ]
        );
        assert_eq!(
            errors("linear(0.1, 0, 1001)"),
            [
                "the width of linear buckets must be greater than 0, and `0` is not: each \
                 bound is the one before plus the width",
                "the count of `linear(…)` is a whole number from 1 to 1000: how many bounds \
                 to make (the `+Inf` bucket is always added)",
            ]
        );
        assert_eq!(
            errors("linear(x, 1, 2.0)"),
            [
                "the start of `linear(…)` is a finite number literal",
                "the count of `linear(…)` is a whole number from 1 to 1000: how many bounds \
                 to make (the `+Inf` bucket is always added)",
            ]
        );
        assert!(errors("linear(1, 2)")[0].starts_with("`linear` takes three arguments"));
        assert!(errors("geometric(1, 2, 3)")[0].starts_with("unknown bucket generator"));
        assert!(errors("exponential(1e300, 10, 20)")[0].contains("overflows: bound 10"));
        assert!(errors("exponential(1, 1.000000000000001, 20)")[0].contains("not strictly"));
    }

    fn quantiles(text: &str) -> Result<Vec<f64>, Vec<String>> {
        let expr: Expr = syn::parse_str(text).expect("expression");
        parse_quantiles(&expr).map_err(|error| error.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn quantile_lists() {
        assert_eq!(quantiles("[0.99, 0.5]"), Ok(vec![0.99, 0.5]));
        assert_eq!(
            quantiles("[0.5, 1.0, 0, -0.5, 0.50, x]").expect_err("an error"),
            [
                "the quantile `1.0` is not strictly between 0 and 1: a quantile is a \
                 fraction, like `0.5` (the median) or `0.99`",
                "the quantile `0` is not strictly between 0 and 1: a quantile is a fraction, \
                 like `0.5` (the median) or `0.99`",
                "the quantile `-0.5` is not strictly between 0 and 1: a quantile is a \
                 fraction, like `0.5` (the median) or `0.99`",
                "the quantile `0.50` is given twice (first as `0.5`): give each once",
                "a quantile is a float literal, like `0.99`",
            ]
        );
        assert!(quantiles("[]").is_err());
        assert!(quantiles("0.5").is_err());
    }

    #[test]
    fn durations() {
        let parse = |text: &str| parse_max_age(&LitStr::new(text, proc_macro2::Span::call_site()));
        let ok = |text: &str| parse(text).ok();
        assert_eq!(ok("30s"), Some(Duration::from_secs(30)));
        assert_eq!(ok("5m"), Some(Duration::from_secs(300)));
        assert_eq!(ok("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(ok("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(ok("1h30m"), Some(Duration::from_secs(5400)));
        for bad in [
            "",
            "5",
            "m",
            "5min",
            "1.5s",
            "0s",
            "-1s",
            "5 m",
            "99999999999999999999h",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let message = parse("5min")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.starts_with("`max_age = \"5min\"`: `min` is not a unit;"),
            "{message}"
        );
    }

    #[test]
    fn age_buckets_and_setters() {
        let count = |text: &str| parse_age_buckets(&syn::parse_str(text).expect("expression"));
        assert_eq!(count("5").ok(), Some(5));
        for bad in ["0", "1001", "2.0", "-1", "n"] {
            assert!(count(bad).is_err(), "{bad}");
        }
        let options = SummaryOptions {
            quantiles: Some(vec![0.5, 0.99]),
            max_age: Some(Duration::from_secs(300)),
            age_buckets: Some(5),
        };
        assert!(crate::test_util::Expansion::new(options.setters()).is(
            ".quantiles(&[0.5f64, 0.99f64])\
             .max_age(::core::time::Duration::from_millis(300000u64))\
             .age_buckets(5usize)"
        ));
        assert!(SummaryOptions::default().setters().is_empty());
    }
}
