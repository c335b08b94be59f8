//! Prometheus naming rules checked at compile time (metric names and prefixes, label
//! names), and the case rules of label values.

use promforge_rules::{LabelNameError, MetricNameError};

/// Checks a metric name, or the part of one after a prefix (`prefixed`: it is then checked
/// joined to a prefix, as the runtime checks it, so it may start with a digit). The rule is
/// `promforge_rules::check_metric_name`, the runtime's; the error is a sentence for a
/// compile error.
pub(crate) fn check_metric_name(name: &str, prefixed: bool) -> Result<(), String> {
    let checked = if prefixed && !name.is_empty() {
        promforge_rules::join_name("a", name)
    } else {
        name.to_owned()
    };
    match promforge_rules::check_metric_name(&checked) {
        Ok(()) => Ok(()),
        Err(MetricNameError::Empty) => Err("a metric name cannot be empty".to_owned()),
        Err(MetricNameError::First | MetricNameError::Char) => Err(format!(
            "`{name}` is not a valid metric name: Prometheus metric names match \
             `[a-zA-Z_:][a-zA-Z0-9_:]*` (ASCII letters, digits, `_` and `:`, not starting \
             with a digit)"
        )),
    }
}

/// Checks the struct's `prefix = "…"`.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Ok(());
    }
    check_metric_name(prefix, false).map_err(|_| {
        format!(
            "`{prefix}` is not a valid metric name prefix: Prometheus metric names match \
             `[a-zA-Z_:][a-zA-Z0-9_:]*` (ASCII letters, digits, `_` and `:`, not starting \
             with a digit)"
        )
    })
}

/// Checks a label name written by the user (`promforge_rules::check_user_label_name`, the
/// runtime's rule): `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for
/// Prometheus), not `le` or `quantile` (written by histograms and summaries). The error is
/// a sentence for a compile error.
pub(crate) fn check_label_name(name: &str) -> Result<(), String> {
    match promforge_rules::check_user_label_name(name) {
        Ok(()) => Ok(()),
        Err(LabelNameError::Empty) => Err("a label name cannot be empty".to_owned()),
        Err(LabelNameError::First | LabelNameError::Char) => Err(format!(
            "`{name}` is not a valid label name: Prometheus label names match \
             `[a-zA-Z_][a-zA-Z0-9_]*` (ASCII letters, digits and `_`, not starting with a digit)"
        )),
        Err(LabelNameError::DoubleUnderscore) => Err(format!(
            "`{name}` is a reserved label name: names starting with `__` are for Prometheus' \
             internal use"
        )),
        Err(LabelNameError::Reserved) if name == "le" => Err(
            "`le` is a reserved label name: histograms write it for their bucket \
                     bounds; give the label another name with #[label(rename = \"…\")]"
                .to_owned(),
        ),
        Err(LabelNameError::Reserved) => Err(format!(
            "`{name}` is a reserved label name: summaries write it for their \
             quantiles; give the label another name with #[label(rename = \"…\")]"
        )),
    }
}

/// How `#[label(rename_all = "…")]` turns a variant name into a label value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RenameRule {
    /// `ServerError` → `server_error` (the default).
    Snake,
    /// `ServerError` → `servererror`.
    Lower,
    /// `ServerError` → `SERVERERROR`.
    Upper,
    /// `ServerError` → `SERVER_ERROR`.
    ScreamingSnake,
    /// `ServerError` → `server-error`.
    Kebab,
    /// `ServerError` → `serverError`.
    Camel,
    /// `ServerError` → `ServerError`: the name as written.
    Pascal,
}

impl RenameRule {
    /// Every rule, by the name written in `rename_all`.
    pub(crate) const ALL: [(&'static str, Self); 7] = [
        ("snake_case", Self::Snake),
        ("lowercase", Self::Lower),
        ("UPPERCASE", Self::Upper),
        ("SCREAMING_SNAKE_CASE", Self::ScreamingSnake),
        ("kebab-case", Self::Kebab),
        ("camelCase", Self::Camel),
        ("PascalCase", Self::Pascal),
    ];

    /// The rule written `name`, if any.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(rule_name, _)| *rule_name == name)
            .map(|&(_, rule)| rule)
    }

    /// The valid names, for an error message: `"snake_case", "lowercase", …`.
    pub(crate) fn names() -> String {
        Self::ALL
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Applies the rule to a variant name.
    pub(crate) fn apply(self, name: &str) -> String {
        match self {
            Self::Snake => join(&words(name), "_", str::to_lowercase),
            Self::Lower => name.to_lowercase(),
            Self::Upper => name.to_uppercase(),
            Self::ScreamingSnake => join(&words(name), "_", str::to_uppercase),
            Self::Kebab => join(&words(name), "-", str::to_lowercase),
            Self::Camel => {
                let mut out = String::new();
                for (i, word) in words(name).iter().enumerate() {
                    if i == 0 {
                        out.push_str(&word.to_lowercase());
                    } else {
                        out.push_str(&capitalize(word));
                    }
                }
                out
            }
            Self::Pascal => name.to_owned(),
        }
    }
}

fn join(words: &[String], separator: &str, case: fn(&str) -> String) -> String {
    words
        .iter()
        .map(|word| case(word))
        .collect::<Vec<_>>()
        .join(separator)
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Splits a name into words: at `_`, before a capital that follows a lowercase letter or a
/// digit, and before the last capital of a run followed by a lowercase letter (so a run of
/// capitals is one word: `HTTPError` → `HTTP`, `Error`). Digits stay with the word they follow
/// (`V2` → `V2`, `Http2Error` → `Http2`, `Error`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let previous = if i == 0 {
            None
        } else {
            chars.get(i - 1).copied()
        };
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && !current.is_empty()
            && match previous {
                Some(p) if p.is_lowercase() || p.is_numeric() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                _ => false,
            };
        if boundary {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names() {
        for ok in ["a", "_a", "a9_b", "method", "_", "A_B"] {
            assert_eq!(check_label_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "9a", "a:b", "a-b", "a b", "ü", "__name__", "__", "__x", "le", "quantile",
        ] {
            assert!(check_label_name(bad).is_err(), "{bad}");
        }
        assert!(
            matches!(check_label_name("LE"), Ok(())),
            "only `le` itself is reserved"
        );
    }

    #[test]
    fn metric_names() {
        for ok in ["a", "_a", "a:b", "a9_b", ":x"] {
            assert_eq!(check_metric_name(ok, false), Ok(()), "{ok}");
        }
        assert_eq!(check_metric_name("5xx", true), Ok(()));
        for bad in ["", "5xx", "bad-name", "a b", "größe", "a.b"] {
            assert!(check_metric_name(bad, false).is_err(), "{bad}");
        }
        assert!(check_prefix("my-app").is_err());
        assert_eq!(check_prefix(""), Ok(()));
        assert_eq!(check_prefix("observer_"), Ok(()));
    }

    #[test]
    fn words_split_runs_of_capitals_and_digits() {
        let split = |name| words(name);
        assert_eq!(split("ServerError"), ["Server", "Error"]);
        assert_eq!(split("HTTPError"), ["HTTP", "Error"]);
        assert_eq!(split("Get"), ["Get"]);
        assert_eq!(split("V2"), ["V2"]);
        assert_eq!(split("Http2Error"), ["Http2", "Error"]);
        assert_eq!(split("ABC"), ["ABC"]);
        assert_eq!(split("already_snake"), ["already", "snake"]);
        assert_eq!(split("Mixed_Case__X"), ["Mixed", "Case", "X"]);
        assert!(split("_").is_empty());
    }

    #[test]
    fn rename_rules() {
        use RenameRule::*;
        let cases: [(RenameRule, [&str; 5]); 7] = [
            (
                Snake,
                ["server_error", "http_error", "get", "v2", "http2_error"],
            ),
            (
                Lower,
                ["servererror", "httperror", "get", "v2", "http2error"],
            ),
            (
                Upper,
                ["SERVERERROR", "HTTPERROR", "GET", "V2", "HTTP2ERROR"],
            ),
            (
                ScreamingSnake,
                ["SERVER_ERROR", "HTTP_ERROR", "GET", "V2", "HTTP2_ERROR"],
            ),
            (
                Kebab,
                ["server-error", "http-error", "get", "v2", "http2-error"],
            ),
            (
                Camel,
                ["serverError", "httpError", "get", "v2", "http2Error"],
            ),
            (
                Pascal,
                ["ServerError", "HTTPError", "Get", "V2", "Http2Error"],
            ),
        ];
        for (rule, expected) in cases {
            let names = ["ServerError", "HTTPError", "Get", "V2", "Http2Error"];
            for (name, expected) in names.iter().zip(expected) {
                assert_eq!(rule.apply(name), expected, "{rule:?} of {name}");
            }
        }
    }

    #[test]
    fn rule_names() {
        for (name, rule) in RenameRule::ALL {
            assert_eq!(RenameRule::from_name(name), Some(rule));
        }
        assert_eq!(RenameRule::from_name("Snake_Case"), None);
        assert!(RenameRule::names().starts_with("\"snake_case\", \"lowercase\""));
    }
}
